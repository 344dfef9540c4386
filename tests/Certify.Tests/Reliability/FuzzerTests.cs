using System.Text;
using Certify.Fuzzing;

namespace Certify.Tests.Reliability;

/// <summary>
/// The fuzzer itself: it runs on the instrumented parser and sees coverage grow, every built-in ONNX seed imports and
/// runs, and crashes and hangs of a deliberately broken fake target are caught, minimised and saved. Budgets are in
/// executions, never in seconds, so nothing here depends on the machine's speed.
/// </summary>
public sealed class FuzzerTests : IDisposable
{
    readonly string _dir = Path.Combine(Path.GetTempPath(), $"certify-fuzz-test-{Guid.NewGuid():N}");

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    FuzzOptions Budget(long executions, string sub) => new() { Seed = 1, MaxExecutions = executions, CrashDirectory = Path.Combine(_dir, sub) };

    [Fact]
    public void Fuzzing_the_vnnlib_parser_reaches_edges_the_seeds_do_not()
    {
        var target = new VnnLibTarget();
        int seeds = target.Seeds().Count;
        var seedsOnly = FuzzEngine.Run(target, Budget(seeds, "seeds"));
        var fuzzed = FuzzEngine.Run(target, Budget(300, "fuzz"));

        Assert.True(seedsOnly.Stats.Edges > 100, $"the instrumented parser reported only {seedsOnly.Stats.Edges} edges for the seeds");
        Assert.Equal(seeds, seedsOnly.Stats.Accepted);                       // every built-in seed is a valid property
        Assert.Equal(300, fuzzed.Stats.Executions);
        Assert.True(fuzzed.Stats.Edges > seedsOnly.Stats.Edges, $"no coverage growth: {fuzzed.Stats.Edges} edges after 300 executions, {seedsOnly.Stats.Edges} from the seeds");
        Assert.True(fuzzed.Stats.Corpus > seeds, "no mutant was kept for new coverage");
        Assert.True(fuzzed.Stats.DistinctPaths > seedsOnly.Stats.DistinctPaths);
        Assert.True(fuzzed.Stats.Rejected > 0, "no mutant was rejected: the documented VnnLibException path was never reached");
    }

    /// <summary>
    /// Seeds only: a mutated model can make libtorch abort the whole process (a MatMul shape error during constant
    /// folding, found by this fuzzer), which would end the test run; mutation runs of this target belong to
    /// <c>certify fuzz</c>, which restarts its fuzzing process after such a death.
    /// </summary>
    [Fact]
    public void Every_builtin_onnx_seed_imports_and_runs_forward_with_coverage()
    {
        var target = new OnnxTarget();
        int seeds = target.Seeds().Count;
        var r = FuzzEngine.Run(target, Budget(seeds, "onnx"));
        Assert.Empty(r.Findings);
        Assert.Equal(seeds, r.Outcomes.GetValueOrDefault("accepted"));
        Assert.True(r.Stats.Edges > 200, $"only {r.Stats.Edges} edges");
    }

    [Fact]
    public void The_matmul_guard_refuses_exactly_what_libtorch_would_abort_on()
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        TorchSharp.torch.Tensor T(params long[] shape) => TorchSharp.torch.zeros(shape);
        Assert.Null(TorchGuards.Problem(T(3, 2), T(2, 4)));
        Assert.Null(TorchGuards.Problem(T(5, 3, 2), T(1, 2, 4)));         // batch dimensions broadcast
        Assert.Null(TorchGuards.Problem(T(2), T(2, 4)));
        Assert.Null(TorchGuards.Problem(T(3, 2), T(2)));
        Assert.NotNull(TorchGuards.Problem(T(3, 2), T(50, 50)));
        Assert.NotNull(TorchGuards.Problem(TorchSharp.torch.tensor(1f), T(2, 4)));
        Assert.NotNull(TorchGuards.Problem(T(3, 2), TorchSharp.torch.zeros(2, 4, dtype: TorchSharp.torch.ScalarType.Float64)));
        Assert.NotNull(TorchGuards.Problem(T(3, 2, 2), T(4, 2, 2)));
        // The guard computes what matmul computes when the operands are fine.
        var a = TorchSharp.torch.arange(6f).reshape(3, 2);
        Assert.True(TorchGuards.MatMul(a, a.t()).allclose(a.matmul(a.t())));
        Assert.Throws<TorchAbortException>(() => TorchGuards.MatMul(T(3, 2), T(50, 50)));
        Assert.NotNull(TorchGuards.TakeAbort());                          // recorded, even if the caller had caught it
        Assert.Null(TorchGuards.TakeAbort());
        Assert.True(InstrumentedCore.Shared.GuardedCalls > 0, "no matmul call of the instrumented copy was redirected");
    }

    /// <summary>Throws an undocumented exception for any byte ≥ 0x80, refuses '!' the documented way, accepts the rest.</summary>
    sealed class CrashingFake : IFuzzTarget
    {
        public string Name => "fake";
        public string Extension => ".bin";
        public int MaxInputBytes => 256;
        public ICoverageMap Coverage { get; } = new NoCoverage();
        public IReadOnlyList<byte[]> Seeds() => ["hello world"u8.ToArray()];
        public byte[]? Mutate(byte[] input, IReadOnlyList<byte[]> corpus, Random rng) => null;
        public IReadOnlyList<byte[]> Dictionary => ["!"u8.ToArray()];
        public string Run(byte[] input)
        {
            if (input.Any(b => b >= 0x80)) throw new InvalidOperationException("fake parser bug");
            return input.Contains((byte)'!') ? "rejected" : "accepted";
        }
    }

    [Fact]
    public void A_crash_of_the_target_is_caught_minimised_and_saved()
    {
        var r = FuzzEngine.Run(new CrashingFake(), Budget(300, "crash"));

        Assert.Equal(300, r.Stats.Executions);
        Assert.True(r.Stats.Crashes > 0, "300 mutants of 'hello world' never had a byte >= 0x80");
        var f = Assert.Single(r.Findings);                  // one signature, however many crashing inputs
        Assert.Equal("crash", f.Kind);
        Assert.Equal(r.Stats.Crashes, f.Count);
        Assert.Equal("System.InvalidOperationException: fake parser bug", f.Summary);
        var saved = File.ReadAllBytes(f.InputPath!);
        Assert.Equal(f.Input, saved);
        Assert.Single(saved);                               // minimised to the one byte that matters
        Assert.True(saved[0] >= 0x80);
        Assert.Contains("fake parser bug", File.ReadAllText(Path.ChangeExtension(f.InputPath!, ".txt")));
        Assert.True(r.Stats.Accepted > 0);
    }

    /// <summary>Blocks until released: a hang that no amount of machine speed ends.</summary>
    sealed class HangingFake(ManualResetEventSlim release) : IFuzzTarget
    {
        public string Name => "hang";
        public string Extension => ".bin";
        public int MaxInputBytes => 64;
        public ICoverageMap Coverage { get; } = new NoCoverage();
        public IReadOnlyList<byte[]> Seeds() => ["stuck"u8.ToArray()];
        public byte[]? Mutate(byte[] input, IReadOnlyList<byte[]> corpus, Random rng) => null;
        public IReadOnlyList<byte[]> Dictionary => [];
        public string Run(byte[] input) { release.Wait(); return "accepted"; }
    }

    [Fact]
    public void An_input_that_never_returns_is_reported_as_a_hang_and_saved()
    {
        using var release = new ManualResetEventSlim(false);
        try
        {
            var o = new FuzzOptions
            {
                Seed = 1, MaxExecutions = 1, CrashDirectory = Path.Combine(_dir, "hang"),
                InputTimeout = TimeSpan.FromMilliseconds(200), HangGrace = TimeSpan.Zero,
            };
            var r = FuzzEngine.Run(new HangingFake(release), o);
            Assert.Equal(1, r.Stats.Hangs);
            var f = Assert.Single(r.Findings);
            Assert.Equal("hang", f.Kind);
            Assert.Equal("stuck", Encoding.ASCII.GetString(File.ReadAllBytes(f.InputPath!)));
        }
        finally { release.Set(); }   // lets the abandoned thread end
    }
}
