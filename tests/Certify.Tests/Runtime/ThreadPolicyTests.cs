using Certify.Runtime;

namespace Certify.Tests.Runtime;

/// <summary>
/// The libtorch thread rule (<see cref="ThreadPolicy"/>): an explicit count wins, small work and a loaded machine get one
/// thread, anything else one per core; the load average is read from <c>/proc/loadavg</c>'s text; a bad environment
/// value is an error naming the variable; applying a count is undone afterwards (the suite's own one thread survives).
/// </summary>
public sealed class ThreadPolicyTests
{
    static readonly ThreadPolicy Policy = new();

    [Fact]
    public void An_explicit_count_wins_over_work_and_load()
    {
        Assert.Equal(3, Policy.Choose(work: 1, cores: 2, load: 50, explicitThreads: 3).Threads);
        Assert.Equal(1, Policy.Choose(work: long.MaxValue, cores: 16, load: 0, explicitThreads: 1).Threads);
    }

    [Theory]
    [InlineData(1000L, 2, 0.1, 1)]          // small work: one thread on an idle machine
    [InlineData(1L << 20, 2, 0.1, 2)]       // large work, idle: one per core
    [InlineData(1L << 20, 2, 2.0, 1)]       // large work, load average at the core count: one
    [InlineData(1L << 20, 8, 7.9, 8)]       // just under the core count: one per core
    [InlineData(1L << 20, 1, 0.0, 1)]       // one core
    public void Small_work_or_a_loaded_machine_gets_one_thread_and_anything_else_one_per_core(long work, int cores, double load, int expected)
    {
        var choice = Policy.Choose(work, cores, load, explicitThreads: null);
        Assert.Equal(expected, choice.Threads);
        Assert.False(string.IsNullOrWhiteSpace(choice.Reason));
    }

    [Fact]
    public void An_unknown_load_counts_as_idle_and_the_thresholds_are_the_policy_s()
    {
        Assert.Equal(4, Policy.Choose(1L << 20, 4, load: null, explicitThreads: null).Threads);
        var strict = new ThreadPolicy { SmallWork = 1L << 30, LoadPerCore = 0.5 };
        Assert.Equal(1, strict.Choose(1L << 20, 4, load: null, explicitThreads: null).Threads);
        Assert.Equal(1, strict.Choose(1L << 31, 4, load: 2.0, explicitThreads: null).Threads);
        Assert.Equal(4, strict.Choose(1L << 31, 4, load: 1.9, explicitThreads: null).Threads);
    }

    [Theory]
    [InlineData("0.52 0.58 0.59 1/345 12345\n", 0.52)]
    [InlineData("20.78 18.01 15.4 7/900 4242", 20.78)]
    public void The_load_average_is_the_first_field_of_proc_loadavg(string text, double expected) =>
        Assert.Equal(expected, ThreadPolicy.ParseLoadAverage(text));

    [Theory]
    [InlineData("")]
    [InlineData("abc 1 2")]
    [InlineData("-1 0 0")]
    [InlineData("NaN 0 0")]
    public void Malformed_load_text_reads_as_unknown(string text) => Assert.Null(ThreadPolicy.ParseLoadAverage(text));

    [Fact]
    public void The_machine_s_load_average_is_readable_on_linux()
    {
        if (!OperatingSystem.IsLinux()) return;
        Assert.True(ThreadPolicy.LoadAverage() is >= 0);
    }

    [Theory]
    [InlineData("4", 4)]
    [InlineData(" 1 ", 1)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void An_environment_count_is_a_positive_integer_or_absent(string? text, int? expected) =>
        Assert.Equal(expected, ThreadPolicy.Parse("CERTIFY_THREADS", text));

    [Theory]
    [InlineData("0")]
    [InlineData("-2")]
    [InlineData("two")]
    [InlineData("1.5")]
    public void A_bad_environment_count_is_an_error_naming_the_variable(string text)
    {
        var e = Assert.Throws<ArgumentException>(() => ThreadPolicy.Parse("CERTIFY_THREADS", text));
        Assert.StartsWith($"CERTIFY_THREADS={text}:", e.Message);
    }

    [Fact]
    public void The_suite_fixes_one_thread_through_the_environment_and_a_run_s_count_is_restored_after_it()
    {
        // tests/Certify.Tests/TorchThreads.cs sets CERTIFY_THREADS=1, so an automatic choice in this process is one thread.
        Assert.Equal(1, ThreadPolicy.FromEnvironment());
        Assert.Equal(1, Policy.ChooseHere(long.MaxValue, option: null).Threads);
        int before = TorchSharp.torch.get_num_threads();
        using (ThreadPolicy.Apply(new ThreadChoice(2, "test")))
            Assert.Equal(2, TorchSharp.torch.get_num_threads());
        Assert.Equal(before, TorchSharp.torch.get_num_threads());
    }
}
