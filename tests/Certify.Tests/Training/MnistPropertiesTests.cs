using Certify.Spec;
using Certify.Training.Data;

namespace Certify.Tests.Training;

/// <summary>VNNLIB properties generated from test digits parse back to the digit's clipped ε-box and its label.</summary>
public sealed class MnistPropertiesTests
{
    [SkippableFact]
    public void PropertiesParseBackToTheDigitsBoxAndLabel()
    {
        var (_, test) = TrainingTestData.RequireSplit();
        var dir = Directory.CreateTempSubdirectory("certify-props-").FullName;
        try
        {
            var paths = MnistProperties.Write(test, [0, 7], 0.1, dir);
            Assert.Equal(2, paths.Count);
            Assert.EndsWith("mnist_test0007_eps0.1.vnnlib", paths[1]);
            var spec = VnnLibParser.Parse(paths[1]);
            var region = Assert.Single(spec.Regions);
            Assert.Equal(784, spec.InputSize);
            Assert.Equal(10, spec.OutputSize);
            var x = test.Image(7);
            for (int i = 0; i < 784; i++)
            {
                Assert.True(region.Lower[i] <= Math.Max(0, x[i] - 0.1) + 1e-12 && region.Lower[i] >= 0, $"lower[{i}]");
                Assert.True(region.Upper[i] >= Math.Min(1, x[i] + 0.1) - 1e-12 && region.Upper[i] <= 1, $"upper[{i}]");
                Assert.InRange(region.Upper[i] - region.Lower[i], 0, 0.2 + 1e-9);
            }
            // Unsafe: some other class reaches the label's logit; one disjunct per other class, each y_label - y_j <= 0.
            int label = test.Labels[7];
            Assert.Equal(9, region.Unsafe.Disjuncts.Count);
            Assert.All(region.Unsafe.Disjuncts, d => Assert.Equal(1.0, d.Rows.Single().C[label]));
        }
        finally { Directory.Delete(dir, true); }
    }
}
