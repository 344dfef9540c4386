using Certify.Spec;
using TorchSharp;
using static TorchSharp.torch;

namespace Certify.Soundness.Hidden;

/// <summary>Settings of <see cref="HiddenTrainer"/>.</summary>
/// <param name="Steps">Adam steps.</param>
/// <param name="LearningRate">Adam learning rate (cosine-decayed to a tenth).</param>
/// <param name="SafeMargin">Every box point other than the planted one is pushed to objective ≥ this.</param>
/// <param name="PlantedMargin">The planted point is pushed to objective ≤ −this.</param>
/// <param name="Samples">Uniform samples per box and step.</param>
/// <param name="AttackRestarts">PGD points per box found against the current network at every step.</param>
/// <param name="AttackSteps">PGD steps to find them.</param>
/// <param name="Window">Recent attack points kept per box (the sliding window re-used as "must be safe" points).</param>
/// <param name="Exclusion">Attack points within this L∞ distance of the planted point, as a fraction of the box
/// half-width, are not pushed back (they are the counterexample itself); they stay out of the window.</param>
/// <param name="PlantedWeight">Weight of the planted-point term against the mean safe-point hinge.</param>
public sealed record HiddenTrainingOptions(
    int Steps = 1500, double LearningRate = 0.005, double SafeMargin = 0.05, double PlantedMargin = 0.05,
    int Samples = 32, int AttackRestarts = 24, int AttackSteps = 12, int Window = 128, double Exclusion = 0.1, double PlantedWeight = 0.5);

/// <summary>One input box of a model, with its label and (for planted boxes) the point that must violate.</summary>
/// <param name="Region">The box and its property ("class Label wins").</param>
/// <param name="Label">The class that must win.</param>
/// <param name="Planted">The hidden counterexample, or null for a control box.</param>
public sealed record TrainingBox(InputRegion Region, int Label, double[]? Planted);

/// <summary>
/// Learns hidden counterexamples into an ordinary network (issue 16, the SoundnessBench idea): two objectives at once.
/// (1) The planted point x* of each planted box is pushed across the decision boundary by a margin
/// (<c>relu(objective(x*) + planted margin)</c>). (2) Everything else in every box is pushed to the safe side
/// (<c>relu(safe margin − objective)</c>) on uniform samples and on a sliding window of recent attack points: at every
/// step a short PGD from random starts runs against the current network, its end points join a per-box FIFO window and
/// the whole window is re-used as training data, so the basins an attack falls into are filled in one after another and
/// the violation is left as a narrow spike around x* that gradient descent from random starts does not reach. Points
/// the attack finds within <see cref="HiddenTrainingOptions.Exclusion"/> of x* are x* itself and are not pushed back.
/// </summary>
public static class HiddenTrainer
{
    /// <summary>Trains <paramref name="net"/> in place; returns the last loss and the torch objective at each planted point.</summary>
    public static (double Loss, double[] PlantedObjectives) Train(HiddenNetwork net, IReadOnlyList<TrainingBox> boxes, HiddenTrainingOptions o, long seed, Action<string>? log = null)
    {
        var gen = new Generator((ulong)seed);
        var opt = optim.Adam(net.Parameters, o.LearningRate);
        var shape = net.Graph.InputShape;
        int n = (int)net.Graph.InputSize;
        var lo = boxes.Select(b => tensor(b.Region.Lower, dtype: ScalarType.Float32)).ToArray();
        var hi = boxes.Select(b => tensor(b.Region.Upper, dtype: ScalarType.Float32)).ToArray();
        // Sign of the objective per box: objective = s·(y0 − y1) with s = +1 for label 0, −1 for label 1.
        var sign = boxes.Select(b => b.Label == 0 ? 1f : -1f).ToArray();
        var planted = boxes.Select((b, i) => (b, i)).Where(t => t.b.Planted is not null).ToArray();
        var windows = boxes.Select(_ => new Queue<Tensor>()).ToArray();
        double last = double.NaN;
        for (int step = 0; step < o.Steps; step++)
        {
            using var scope = NewDisposeScope();
            double lr = o.LearningRate * (0.1 + 0.9 * 0.5 * (1 + Math.Cos(Math.PI * step / o.Steps)));
            foreach (var g in opt.ParamGroups) g.LearningRate = lr;
            var detached = net.Detached();
            var xs = new List<Tensor>();
            var signs = new List<Tensor>();
            for (int i = 0; i < boxes.Count; i++)
            {
                var width = hi[i] - lo[i];
                var uniform = lo[i] + rand(new long[] { o.Samples, n }, generator: gen) * width;
                var adv = Attack(detached, lo[i], hi[i], sign[i], o.AttackRestarts, o.AttackSteps, gen, shape);
                if (boxes[i].Planted is { } p)
                {
                    var far = (adv - tensor(p, dtype: ScalarType.Float32)).abs().amax(new long[] { 1 }) / (width.amax() / 2) > o.Exclusion;
                    adv = adv.index(far);
                }
                foreach (var row in adv.split(1, 0)) { windows[i].Enqueue(row.detach().MoveToOuterDisposeScope()); }
                while (windows[i].Count > o.Window) windows[i].Dequeue().Dispose();
                xs.Add(uniform);
                if (windows[i].Count > 0) xs.Add(cat(windows[i].ToArray(), 0));
                long count = o.Samples + windows[i].Count;
                signs.Add(full(count, sign[i], dtype: ScalarType.Float32));
            }
            var all = cat(xs.ToArray(), 0);
            var s = cat(signs.ToArray(), 0);
            var y = net.Graph.Forward(all.reshape(ShapeWithBatch(all.shape[0], shape))).reshape(all.shape[0], 2);
            var obj = s * (y.select(1, 0) - y.select(1, 1));
            var loss = nn.functional.relu(o.SafeMargin - obj).mean();
            if (planted.Length > 0)
            {
                var px = stack(planted.Select(t => tensor(t.b.Planted!, dtype: ScalarType.Float32)).ToArray(), 0);
                var ps = tensor(planted.Select(t => sign[t.i]).ToArray());
                var py = net.Graph.Forward(px.reshape(ShapeWithBatch(planted.Length, shape))).reshape(planted.Length, 2);
                var pobj = ps * (py.select(1, 0) - py.select(1, 1));
                loss = loss + o.PlantedWeight * nn.functional.relu(pobj + o.PlantedMargin).mean();
            }
            opt.zero_grad();
            loss.backward();
            opt.step();
            last = loss.ToDouble();
            if (log is not null && (step % 200 == 0 || step == o.Steps - 1))
                log($"step {step}: loss {last:G3}, worst safe-point objective {obj.min().ToDouble():F3}, share below margin {(obj < o.SafeMargin).to_type(ScalarType.Float32).mean().ToDouble():F2}");
        }
        foreach (var w in windows) foreach (var t in w) t.Dispose();
        var objectives = planted.Select(t => ObjectiveAt(net.Detached(), t.b.Planted!, t.b.Label)).ToArray();
        return (last, objectives);
    }

    /// <summary>The objective (≤ 0 violates) of "class <paramref name="label"/> wins" at <paramref name="x"/> in torch float32.</summary>
    public static double ObjectiveAt(Graph.ComputationGraph g, double[] x, int label)
    {
        using var scope = NewDisposeScope();
        var y = g.Forward(tensor(x, dtype: ScalarType.Float32).reshape(ShapeWithBatch(1, g.InputShape))).flatten();
        double d = y[0].ToDouble() - y[1].ToDouble();
        return label == 0 ? d : -d;
    }

    static long[] ShapeWithBatch(long b, long[] shape) => new[] { b }.Concat(shape).ToArray();

    /// <summary>End points of a short signed-gradient PGD from random starts against the current network: <c>[R, n]</c>.</summary>
    static Tensor Attack(Graph.ComputationGraph g, Tensor lo, Tensor hi, float sign, int restarts, int steps, Generator gen, long[] shape)
    {
        var width = hi - lo;
        var x = lo + rand(new long[] { restarts, lo.shape[0] }, generator: gen) * width;
        // The restarts cycle through the checking ensemble's step sizes (0.5, 0.1, 0.02 of the width, cosine-decayed to
        // a hundredth): the basins that any of its runs would fall into are the ones the window must fill.
        var scale = tensor(Enumerable.Range(0, restarts).Select(r => new[] { 0.5f, 0.1f, 0.02f }[r % 3]).ToArray()).unsqueeze(1);
        for (int s = 0; s < steps; s++)
        {
            var xv = x.detach().requires_grad_(true);
            var y = g.Forward(xv.reshape(ShapeWithBatch(restarts, shape))).reshape(restarts, 2);
            var obj = sign * (y.select(1, 0) - y.select(1, 1));
            var grad = autograd.grad(new[] { obj.sum() }, new[] { xv })[0];
            double frac = 0.01 + 0.99 * 0.5 * (1 + Math.Cos(Math.PI * s / steps));
            using (no_grad()) x = minimum(maximum(xv - grad.sign() * scale * width * frac, lo), hi).detach();
        }
        return x.detach();
    }
}
