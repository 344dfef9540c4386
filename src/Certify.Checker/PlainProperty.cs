namespace Certify.Checker;

/// <summary>An unsafe row <c>C·y ≤ D</c> over the network outputs.</summary>
public sealed record PlainRow(double[] C, double D);

/// <summary>One input box with its unsafe condition: a disjunction of conjunctions of rows (rows numbered across disjuncts, in order).</summary>
public sealed record PlainRegion(double[] Lower, double[] Upper, IReadOnlyList<IReadOnlyList<PlainRow>> Disjuncts)
{
    /// <summary>The rows in certificate numbering: disjunct by disjunct, row by row.</summary>
    public IEnumerable<(int Disjunct, PlainRow Row)> Rows =>
        Disjuncts.SelectMany((d, k) => d.Select(r => (k, r)));
}

/// <summary>The property as plain numbers: it holds when no input of any region's box makes that region's unsafe condition true.</summary>
public sealed record PlainProperty(IReadOnlyList<PlainRegion> Regions);
