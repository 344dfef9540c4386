using Certify.Bounds;
using Certify.Verification;
using Certify.Verification.Attack;
using Certify.Verification.Search;
using static Certify.Cli.Configuration.ConfigSetting;
using ScalarType = TorchSharp.torch.ScalarType;

namespace Certify.Cli.Configuration;

/// <summary>
/// The keys of a configuration file, in the order <c>config --dump</c> writes them, one entry per setting of the option
/// records (<see cref="VerifierOptions"/>, <see cref="AttackOptions"/>, <see cref="BabOptions"/>, <see cref="ExactOptions"/>,
/// <see cref="BoundOptions"/>, <see cref="Certify.Verification.Benchmarks.RunnerOptions"/>). What a file cannot set is
/// listed in <see cref="NotConfigurable"/> with the reason; a test checks that every property of those records is in one
/// list or the other, so a setting added to a record without a key here fails the suite.
/// <para>The limits are those of the matching command-line flags where one exists, and otherwise what keeps the run
/// meaningful and sound: shares in [0, 1], positive step sizes and tolerances (a float32 proof with no margin is not
/// sound), at least one iteration, batch or candidate.</para>
/// </summary>
public static class ConfigSettings
{
    static readonly string[] DTypes = { "float32", "float64" };

    static string DType(ScalarType t) => t == ScalarType.Float64 ? "float64" : "float32";
    static ScalarType DType(string s) => s == "float64" ? ScalarType.Float64 : ScalarType.Float32;

    static CertifyConfig V(CertifyConfig c, Func<VerifierOptions, VerifierOptions> f) => c with { Verifier = f(c.Verifier) };
    static CertifyConfig A(CertifyConfig c, Func<AttackOptions, AttackOptions> f) => V(c, v => v with { AttackSchedule = f(c.Attack) });
    static CertifyConfig C(CertifyConfig c, Func<CheapAttackOptions, CheapAttackOptions> f) => V(c, v => v with { CheapAttack = f(v.CheapAttack) });
    static CertifyConfig B(CertifyConfig c, Func<BabOptions, BabOptions> f) => V(c, v => v with { Bab = f(v.Bab) });
    static CertifyConfig F(CertifyConfig c, Func<BoundRefinementOptions, BoundRefinementOptions> f) => B(c, o => o with { Refinement = f(o.Refinement) });
    static CertifyConfig X(CertifyConfig c, Func<ExactOptions, ExactOptions> f) => V(c, v => v with { ExactSettings = f(v.ExactSettings) });
    static CertifyConfig E(CertifyConfig c, Func<BoundOptions, BoundOptions> f) => c with { Bounds = f(c.Bounds) };
    static CertifyConfig R(CertifyConfig c, Func<Certify.Verification.Benchmarks.RunnerOptions, Certify.Verification.Benchmarks.RunnerOptions> f) => c with { Runner = f(c.Runner) };

    /// <summary>The sections, in file order, with one line on what each is for.</summary>
    public static IReadOnlyList<(string Name, string Doc)> Sections { get; } = new[]
    {
        ("verifier", "the stages of `verify` (and of each instance of `run`): time limit, attack share, root bounds, threads, exact back-end"),
        ("attack", "the PGD and sampling attacks: a short one before the root bounds, the full one after them"),
        ("branch_and_bound", "branch and bound: splitting, bound method and its optimisation, batches, limits"),
        ("exact", "the exact back-ends (MILP with OR-Tools, SMT with Z3) of the last stage"),
        ("bounds", "the bound engine of `certify bounds`"),
        ("runner", "`certify run`: each instance's time limit from its list's, and process isolation"),
    };

    /// <summary>Every key, in file order.</summary>
    public static IReadOnlyList<ConfigSetting> All { get; } = new[]
    {
        Seconds("verifier", "timeout", "time limit of `verify` in seconds, loading included (`run` takes each instance's from its list)", "VerifierOptions.Timeout",
            c => c.Verifier.Timeout, (c, v) => V(c, o => o with { Timeout = v })),
        Bool("verifier", "attack", "run the PGD and sampling attacks (the short one before the root bounds, the full one after)", "VerifierOptions.Attack",
            c => c.Verifier.Attack, (c, v) => V(c, o => o with { Attack = v })),
        Real("verifier", "attack_share", "share of the time limit each attack may use", NumberRule.InRange(0, 1), "VerifierOptions.AttackShare",
            c => c.Verifier.AttackShare, (c, v) => V(c, o => o with { AttackShare = v })),
        Seconds("verifier", "attack_max_time", "most seconds each attack may use", "VerifierOptions.AttackMaxTime",
            c => c.Verifier.AttackMaxTime, (c, v) => V(c, o => o with { AttackMaxTime = v })),
        Bool("verifier", "root_bounds_first", "bound the root (CROWN, then alpha-CROWN) after the cheap attack and before the full attack", "VerifierOptions.RootBoundsFirst",
            c => c.Verifier.RootBoundsFirst, (c, v) => V(c, o => o with { RootBoundsFirst = v })),
        Int("verifier", "root_alpha_iterations", "Adam iterations of the root's alpha-CROWN bound when CROWN did not prove it (0: skip it)", NumberRule.AtLeast(0), "VerifierOptions.RootAlphaIterations",
            c => c.Verifier.RootAlphaIterations, (c, v) => V(c, o => o with { RootAlphaIterations = v })),
        Real("verifier", "root_bounds_share", "share of the time left that each root bound may use", NumberRule.InRange(0, 1), "VerifierOptions.RootBoundsShare",
            c => c.Verifier.RootBoundsShare, (c, v) => V(c, o => o with { RootBoundsShare = v })),
        Real("verifier", "attack_scale_floor", "least fraction of the attack's time cap the full attack gets after unproven root bounds (1: never cut)", NumberRule.InRange(0, 1), "VerifierOptions.AttackScaleFloor",
            c => c.Verifier.AttackScaleFloor, (c, v) => V(c, o => o with { AttackScaleFloor = v })),
        IntOrAuto("verifier", "threads", "libtorch threads; auto: CERTIFY_THREADS if set, else 1 for small work or a loaded machine, else one per core", NumberRule.AtLeast(1), "VerifierOptions.Threads",
            c => c.Verifier.Threads, (c, v) => V(c, o => o with { Threads = v })),
        Long("verifier", "single_thread_below_work", "threads auto: one thread below this many elements (batch size x widest layer)", NumberRule.AtLeast(0), "ThreadPolicy.SmallWork",
            c => c.Verifier.ThreadPolicy.SmallWork, (c, v) => V(c, o => o with { ThreadPolicy = o.ThreadPolicy with { SmallWork = v } })),
        Real("verifier", "single_thread_load_per_core", "threads auto: one thread when the 1-minute load average is at least this times the cores", NumberRule.Positive, "ThreadPolicy.LoadPerCore",
            c => c.Verifier.ThreadPolicy.LoadPerCore, (c, v) => V(c, o => o with { ThreadPolicy = o.ThreadPolicy with { LoadPerCore = v } })),
        Choice("verifier", "exact", "exact back-end for what branch and bound leaves open", new[] { "milp", "smt", "none" }, "VerifierOptions.Exact",
            c => c.Verifier.Exact.ToString().ToLowerInvariant(), (c, v) => V(c, o => o with { Exact = Enum.Parse<ExactStage>(v, ignoreCase: true) })),
        Real("verifier", "bab_share_before_exact", "share of the time left after the attack that branch and bound gets when an exact stage follows", NumberRule.InRange(0, 1), "VerifierOptions.BabShareBeforeMilp",
            c => c.Verifier.BabShareBeforeMilp, (c, v) => V(c, o => o with { BabShareBeforeMilp = v })),
        Seconds("verifier", "exact_min_time", "the exact stage starts only with at least this many seconds left", "VerifierOptions.MilpMinTime",
            c => c.Verifier.MilpMinTime, (c, v) => V(c, o => o with { MilpMinTime = v })),

        Bool("attack", "cheap", "run a short attack before the root bounds (its limits: the cheap_ keys)", "CheapAttackOptions.Enabled",
            c => c.Verifier.CheapAttack.Enabled, (c, v) => C(c, o => o with { Enabled = v })),
        Int("attack", "cheap_random_samples", "short attack: most random samples per region", NumberRule.AtLeast(0), "CheapAttackOptions.RandomSamples",
            c => c.Verifier.CheapAttack.RandomSamples, (c, v) => C(c, o => o with { RandomSamples = v })),
        Int("attack", "cheap_rounds", "short attack: most rounds per region", NumberRule.AtLeast(0), "CheapAttackOptions.Rounds",
            c => c.Verifier.CheapAttack.Rounds, (c, v) => C(c, o => o with { Rounds = v })),
        Int("attack", "cheap_iterations", "short attack: most gradient steps per round", NumberRule.AtLeast(1), "CheapAttackOptions.Iterations",
            c => c.Verifier.CheapAttack.Iterations, (c, v) => C(c, o => o with { Iterations = v })),
        Int("attack", "cheap_restarts_per_disjunct", "short attack: most restarts per unsafe disjunct in a round", NumberRule.AtLeast(1), "CheapAttackOptions.RestartsPerDisjunct",
            c => c.Verifier.CheapAttack.RestartsPerDisjunct, (c, v) => C(c, o => o with { RestartsPerDisjunct = v })),
        Int("attack", "restarts_per_disjunct", "restarts per unsafe disjunct in one round", NumberRule.AtLeast(1), "AttackOptions.RestartsPerDisjunct",
            c => c.Attack.RestartsPerDisjunct, (c, v) => A(c, o => o with { RestartsPerDisjunct = v })),
        Int("attack", "iterations", "gradient steps per round", NumberRule.AtLeast(1), "AttackOptions.Iterations",
            c => c.Attack.Iterations, (c, v) => A(c, o => o with { Iterations = v })),
        Int("attack", "max_rounds", "most rounds per region (bounds the attack's work independently of the machine)", NumberRule.AtLeast(1), "AttackOptions.MaxRounds",
            c => c.Attack.MaxRounds, (c, v) => A(c, o => o with { MaxRounds = v })),
        Real("attack", "initial_step", "first step, as a fraction of each input's box width", NumberRule.Positive, "AttackOptions.InitialStep",
            c => c.Attack.InitialStep, (c, v) => A(c, o => o with { InitialStep = v })),
        Real("attack", "final_step", "last step of the cosine schedule", NumberRule.Positive, "AttackOptions.FinalStep",
            c => c.Attack.FinalStep, (c, v) => A(c, o => o with { FinalStep = v })),
        Int("attack", "random_samples", "uniform random samples per region before the gradient rounds", NumberRule.AtLeast(0), "AttackOptions.RandomSamples",
            c => c.Attack.RandomSamples, (c, v) => A(c, o => o with { RandomSamples = v })),
        Int("attack", "max_corner_inputs", "all 2^n box corners are tried when the input has at most this many dimensions", NumberRule.IntegerIn(0, 24), "AttackOptions.MaxCornerInputs",
            c => c.Attack.MaxCornerInputs, (c, v) => A(c, o => o with { MaxCornerInputs = v })),
        Int("attack", "seed", "seed of the random starts and samples", NumberRule.AnyInteger, "AttackOptions.Seed",
            c => c.Attack.Seed, (c, v) => A(c, o => o with { Seed = v })),
        Choice("attack", "dtype", "element type of the attack's forward pass", DTypes, "AttackOptions.DType",
            c => DType(c.Attack.DType), (c, v) => A(c, o => o with { DType = DType(v) })),
        Int("attack", "max_candidates", "most candidates the attack hands to the counterexample check", NumberRule.AtLeast(1), "AttackOptions.MaxCandidates",
            c => c.Attack.MaxCandidates, (c, v) => A(c, o => o with { MaxCandidates = v })),

        Choice("branch_and_bound", "strategy", "auto (input splitting up to input_split_max_dimension inputs or when no nonlinearity is branchable, else neuron splitting), input or neuron (relu is a synonym)", new[] { "auto", "input", "neuron", "relu" }, "BabOptions.Strategy",
            c => c.Verifier.Bab.Strategy switch { SplitStrategy.InputSplit => "input", SplitStrategy.NeuronSplit => "neuron", _ => "auto" },
            (c, v) => B(c, o => o with { Strategy = v switch { "input" => SplitStrategy.InputSplit, "neuron" or "relu" => SplitStrategy.NeuronSplit, _ => SplitStrategy.Auto } })),
        Choice("branch_and_bound", "method", "bounds of every batch: auto (crown then alpha-crown for input splitting, beta-crown for neuron splitting), crown, alpha-crown or beta-crown", new[] { "auto", "crown", "alpha-crown", "beta-crown" }, "BabOptions.Method",
            c => c.Verifier.Bab.Method is { } m ? BoundOptions.MethodName(m) : "auto",
            (c, v) => B(c, o => o with { Method = v == "auto" ? null : BoundOptions.ParseMethod(v) })),
        Int("branch_and_bound", "input_split_max_dimension", "largest input size for which strategy auto splits inputs", NumberRule.AtLeast(0), "BabOptions.InputSplitMaxDimension",
            c => c.Verifier.Bab.InputSplitMaxDimension, (c, v) => B(c, o => o with { InputSplitMaxDimension = v })),
        Real("branch_and_bound", "input_split_coefficient_floor", "input splitting: each |coefficient| is raised to at least this fraction of the largest before choosing", NumberRule.InRange(0, 1), "BabOptions.InputSplitCoefficientFloor",
            c => c.Verifier.Bab.InputSplitCoefficientFloor, (c, v) => B(c, o => o with { InputSplitCoefficientFloor = v })),
        Real("branch_and_bound", "input_split_first_phase_share", "input splitting with method auto: share of time and domains for CROWN before alpha-CROWN (1: CROWN throughout)", NumberRule.InRange(0, 1), "BabOptions.InputSplitFirstPhaseShare",
            c => c.Verifier.Bab.InputSplitFirstPhaseShare, (c, v) => B(c, o => o with { InputSplitFirstPhaseShare = v })),
        Long("branch_and_bound", "input_split_first_phase_domains", "most domains of the CROWN phase of input splitting", NumberRule.AtLeast(1), "BabOptions.InputSplitFirstPhaseDomains",
            c => c.Verifier.Bab.InputSplitFirstPhaseDomains, (c, v) => B(c, o => o with { InputSplitFirstPhaseDomains = v })),
        Int("branch_and_bound", "batch_size", "sub-problems bounded per engine call", NumberRule.AtLeast(1), "BabOptions.BatchSize",
            c => c.Verifier.Bab.BatchSize, (c, v) => B(c, o => o with { BatchSize = v })),
        Int("branch_and_bound", "alpha_iterations", "alpha-only Adam iterations per batch", NumberRule.AtLeast(1), "BabOptions.AlphaIterations",
            c => c.Verifier.Bab.AlphaIterations, (c, v) => B(c, o => o with { AlphaIterations = v })),
        Int("branch_and_bound", "beta_iterations", "joint alpha/beta Adam iterations per batch (beta-crown)", NumberRule.AtLeast(1), "BabOptions.BetaIterations",
            c => c.Verifier.Bab.BetaIterations, (c, v) => B(c, o => o with { BetaIterations = v })),
        Int("branch_and_bound", "early_stop_window", "alpha/beta phases stop when no row's bound moved by more than the thresholds over this many iterations (0: off)", NumberRule.AtLeast(0), "BabOptions.EarlyStopWindow",
            c => c.Verifier.Bab.EarlyStopWindow, (c, v) => B(c, o => o with { EarlyStopWindow = v })),
        Real("branch_and_bound", "early_stop_relative", "relative early-stop threshold (a fraction of the bound's magnitude)", NumberRule.NonNegative, "BabOptions.EarlyStopRelative",
            c => c.Verifier.Bab.EarlyStopRelative, (c, v) => B(c, o => o with { EarlyStopRelative = v })),
        Real("branch_and_bound", "early_stop_absolute", "absolute early-stop threshold", NumberRule.NonNegative, "BabOptions.EarlyStopAbsolute",
            c => c.Verifier.Bab.EarlyStopAbsolute, (c, v) => B(c, o => o with { EarlyStopAbsolute = v })),
        Bool("branch_and_bound", "early_stop_when_proved", "alpha/beta phases stop once every row clears its threshold by the search's margin", "BabOptions.EarlyStopWhenProved",
            c => c.Verifier.Bab.EarlyStopWhenProved, (c, v) => B(c, o => o with { EarlyStopWhenProved = v })),
        Bool("branch_and_bound", "inherit_optimised_parameters", "neuron splitting: children start from their parent's optimised relaxation parameters and multipliers", "BabOptions.InheritOptimisedParameters",
            c => c.Verifier.Bab.InheritOptimisedParameters, (c, v) => B(c, o => o with { InheritOptimisedParameters = v })),
        Int("branch_and_bound", "branching_candidates", "neuron splitting: neurons tried both ways before one is split (1: the best-scoring one directly)", NumberRule.AtLeast(1), "BabOptions.BranchingCandidates",
            c => c.Verifier.Bab.BranchingCandidates, (c, v) => B(c, o => o with { BranchingCandidates = v })),
        Long("branch_and_bound", "max_inherited_parameters", "largest rows x ReLU neurons for which slopes and multipliers are carried per sub-problem", NumberRule.AtLeast(0), "BabOptions.MaxInheritedParameters",
            c => c.Verifier.Bab.MaxInheritedParameters, (c, v) => B(c, o => o with { MaxInheritedParameters = v })),
        Choice("branch_and_bound", "dtype", "floating-point type of the search (close calls are re-checked in float64)", DTypes, "BabOptions.DType",
            c => DType(c.Verifier.Bab.DType), (c, v) => B(c, o => o with { DType = DType(v) })),
        Real("branch_and_bound", "tolerance", "relative safety margin of a float32 proof (must be > 0: a float32 proof without margin is not sound)", NumberRule.Positive, "BabOptions.Tolerance",
            c => c.Verifier.Bab.Tolerance, (c, v) => B(c, o => o with { Tolerance = v })),
        Long("branch_and_bound", "max_domains", "most sub-problems bounded per region", NumberRule.AtLeast(1), "BabOptions.MaxDomains",
            c => c.Verifier.Bab.MaxDomains, (c, v) => B(c, o => o with { MaxDomains = v }), nullMeans: long.MaxValue),
        Real("branch_and_bound", "queue_memory_share", "share of the memory available at the start that the open sub-problems may take; the search stops with a memory limit (unknown) before that", NumberRule.InRange(0, 1), "BabOptions.QueueMemoryShare",
            c => c.Verifier.Bab.QueueMemoryShare, (c, v) => B(c, o => o with { QueueMemoryShare = v })),
        Bool("branch_and_bound", "reuse_intermediate_bounds", "neuron splitting: carry pre-activation bounds to the children", "BabOptions.ReuseIntermediateBounds",
            c => c.Verifier.Bab.ReuseIntermediateBounds, (c, v) => B(c, o => o with { ReuseIntermediateBounds = v })),
        Long("branch_and_bound", "max_reused_neurons", "largest number of pre-activation neurons whose bounds are carried", NumberRule.AtLeast(0), "BabOptions.MaxReusedNeurons",
            c => c.Verifier.Bab.MaxReusedNeurons, (c, v) => B(c, o => o with { MaxReusedNeurons = v })),
        Bool("branch_and_bound", "refine_intermediate", "neuron splitting: tighten the first layers' pre-activation bounds by linear programming on the root box before the search", "BoundRefinementOptions.Enabled",
            c => c.Verifier.Bab.Refinement.Enabled, (c, v) => F(c, o => o with { Enabled = v })),
        Int("branch_and_bound", "refine_layers", "layers refined, from the second nonlinear layer on (the first one's input bounds are exact)", NumberRule.AtLeast(0), "BoundRefinementOptions.Layers",
            c => c.Verifier.Bab.Refinement.Layers, (c, v) => F(c, o => o with { Layers = v })),
        Int("branch_and_bound", "refine_neurons_per_layer", "most unstable neurons refined per layer (the loosest first)", NumberRule.AtLeast(1), "BoundRefinementOptions.NeuronsPerLayer",
            c => c.Verifier.Bab.Refinement.NeuronsPerLayer, (c, v) => F(c, o => o with { NeuronsPerLayer = v })),
        Long("branch_and_bound", "refine_iterations_per_program", "simplex iterations of each LP (one side of one neuron); one that needs more keeps the CROWN bound", NumberRule.AtLeast(1), "BoundRefinementOptions.IterationsPerProgram",
            c => c.Verifier.Bab.Refinement.IterationsPerProgram, (c, v) => F(c, o => o with { IterationsPerProgram = v })),
        Real("branch_and_bound", "refine_time_share", "share of the search's remaining time the refinement may use", NumberRule.InRange(0, 1), "BoundRefinementOptions.TimeShare",
            c => c.Verifier.Bab.Refinement.TimeShare, (c, v) => F(c, o => o with { TimeShare = v })),
        Seconds("branch_and_bound", "refine_max_time", "most seconds the refinement may use per region", "BoundRefinementOptions.MaxTime",
            c => c.Verifier.Bab.Refinement.MaxTime, (c, v) => F(c, o => o with { MaxTime = v })),
        Real("branch_and_bound", "refine_tolerance", "relative outward widening of every LP bound (float64 rounding of the encoding)", NumberRule.Positive, "BoundRefinementOptions.Tolerance",
            c => c.Verifier.Bab.Refinement.Tolerance, (c, v) => F(c, o => o with { Tolerance = v })),
        Choice("branch_and_bound", "refine_solver", "OR-Tools LP solver of the refinement", new[] { "GLOP" }, "BoundRefinementOptions.Solver",
            c => c.Verifier.Bab.Refinement.Solver, (c, v) => F(c, o => o with { Solver = v })),

        Choice("exact", "milp_solver", "OR-Tools solver of the MILP back-end", new[] { "SCIP" }, "ExactOptions.MilpSolver",
            c => c.Verifier.ExactSettings.MilpSolver, (c, v) => X(c, o => o with { MilpSolver = v })),
        Real("exact", "milp_max_big_m", "largest big-M constant the MILP back-end accepts (beyond it: unknown)", NumberRule.Positive, "ExactOptions.MilpMaxBigM",
            c => c.Verifier.ExactSettings.MilpMaxBigM, (c, v) => X(c, o => o with { MilpMaxBigM = v })),
        Real("exact", "milp_encoding_work_per_second", "encoding speed assumed when deciding whether a MILP query can start in time", NumberRule.Positive, "ExactOptions.MilpEncodingWorkPerSecond",
            c => c.Verifier.ExactSettings.MilpEncodingWorkPerSecond, (c, v) => X(c, o => o with { MilpEncodingWorkPerSecond = v })),
        Reals("exact", "retry_margins", "margins with which a solver's candidate that did not reproduce is searched for again", NumberRule.Positive, "ExactOptions.RetryMargins",
            c => c.Verifier.ExactSettings.RetryMargins, (c, v) => X(c, o => o with { RetryMargins = v })),

        Choice("bounds", "method", "ibp, crown or alpha-crown", new[] { "ibp", "crown", "alpha-crown" }, "BoundOptions.Method",
            c => BoundOptions.MethodName(c.Bounds.Method), (c, v) => E(c, o => o with { Method = BoundOptions.ParseMethod(v) })),
        Choice("bounds", "dtype", "floating-point type of every bound tensor", DTypes, "BoundOptions.DType",
            c => DType(c.Bounds.DType), (c, v) => E(c, o => o with { DType = DType(v) })),
        Int("bounds", "alpha_iterations", "Adam iterations of alpha-CROWN", NumberRule.AtLeast(1), "BoundOptions.AlphaIterations",
            c => c.Bounds.AlphaIterations, (c, v) => E(c, o => o with { AlphaIterations = v })),
        Real("bounds", "alpha_learning_rate", "Adam learning rate of the alpha slopes", NumberRule.Positive, "BoundOptions.AlphaLearningRate",
            c => c.Bounds.AlphaLearningRate, (c, v) => E(c, o => o with { AlphaLearningRate = v })),
        Int("bounds", "beta_iterations", "Adam iterations of beta-CROWN's joint phase", NumberRule.AtLeast(1), "BoundOptions.BetaIterations",
            c => c.Bounds.BetaIterations, (c, v) => E(c, o => o with { BetaIterations = v })),
        Real("bounds", "beta_learning_rate", "Adam learning rate of the beta multipliers", NumberRule.Positive, "BoundOptions.BetaLearningRate",
            c => c.Bounds.BetaLearningRate, (c, v) => E(c, o => o with { BetaLearningRate = v })),
        Int("bounds", "early_stop_window", "alpha/beta-CROWN stops when no row's bound moved by more than the thresholds over this many iterations (0: off)", NumberRule.AtLeast(0), "BoundOptions.EarlyStopWindow",
            c => c.Bounds.EarlyStopWindow, (c, v) => E(c, o => o with { EarlyStopWindow = v })),
        Real("bounds", "early_stop_relative", "relative early-stop threshold (a fraction of the bound's magnitude)", NumberRule.NonNegative, "BoundOptions.EarlyStopRelative",
            c => c.Bounds.EarlyStopRelative, (c, v) => E(c, o => o with { EarlyStopRelative = v })),
        Real("bounds", "early_stop_absolute", "absolute early-stop threshold", NumberRule.NonNegative, "BoundOptions.EarlyStopAbsolute",
            c => c.Bounds.EarlyStopAbsolute, (c, v) => E(c, o => o with { EarlyStopAbsolute = v })),
        Bool("bounds", "intersect_intermediate", "intersect each intermediate node's CROWN bounds with its interval bounds", "BoundOptions.IntersectIntermediate",
            c => c.Bounds.IntersectIntermediate, (c, v) => E(c, o => o with { IntersectIntermediate = v })),
        Real("bounds", "dense_refinement_fraction", "above this fraction of a node's neurons needing CROWN bounds, all get them", NumberRule.InRange(0, 1), "BoundOptions.DenseRefinementFraction",
            c => c.Bounds.DenseRefinementFraction, (c, v) => E(c, o => o with { DenseRefinementFraction = v })),
        Int("bounds", "forward_prefilter_max_input_size", "forward-mode pre-filter of stable neurons up to this many inputs (0: off)", NumberRule.AtLeast(0), "BoundOptions.ForwardPrefilterMaxInputSize",
            c => c.Bounds.ForwardPrefilterMaxInputSize, (c, v) => E(c, o => o with { ForwardPrefilterMaxInputSize = v })),
        Real("bounds", "flattened_refinement_fraction", "refine with one row per needed (sub-problem, neuron) pair below this fraction of the padded layout", NumberRule.InRange(0, 1), "BoundOptions.FlattenedRefinementFraction",
            c => c.Bounds.FlattenedRefinementFraction, (c, v) => E(c, o => o with { FlattenedRefinementFraction = v })),
        Bool("bounds", "conv_patches", "CROWN refinement of convolution outputs keeps each row as a patch over its window (no dense rows) where conv/elementwise layers reach the input", "BoundOptions.ConvPatches",
            c => c.Bounds.ConvPatches, (c, v) => E(c, o => o with { ConvPatches = v })),
        Long("bounds", "max_coefficient_elements", "most elements of one coefficient tensor in intermediate passes (larger sets are chunked)", NumberRule.AtLeast(1), "BoundOptions.MaxCoefficientElements",
            c => c.Bounds.MaxCoefficientElements, (c, v) => E(c, o => o with { MaxCoefficientElements = v })),

        Real("runner", "timeout_scale", "every instance's limit from the list is multiplied by this", NumberRule.Positive, "RunnerOptions.TimeoutScale",
            c => c.Runner.TimeoutScale, (c, v) => R(c, o => o with { TimeoutScale = v })),
        OptionalSeconds("runner", "max_timeout", "cap on every instance's limit after scaling", "RunnerOptions.MaxTimeout",
            c => c.Runner.MaxTimeout, (c, v) => R(c, o => o with { MaxTimeout = v })),
        Bool("runner", "isolate", "run each instance in its own `certify verify` process", "RunnerOptions.Isolate",
            c => c.Runner.Isolate, (c, v) => R(c, o => o with { Isolate = v })),
    };

    /// <summary>Properties of the option records that no file sets, each with the reason.</summary>
    public static IReadOnlyDictionary<string, string> NotConfigurable { get; } = new Dictionary<string, string>
    {
        ["VerifierOptions.AttackSchedule"] = "the attack section",
        ["VerifierOptions.Bab"] = "the branch_and_bound section",
        ["VerifierOptions.CheapAttack"] = "the attack section's cheap and cheap_ keys",
        ["VerifierOptions.ThreadPolicy"] = "the verifier section's single_thread_ keys",
        ["VerifierOptions.ExactSettings"] = "the exact section",
        ["VerifierOptions.ExactBackend"] = "a back-end object (tests use fakes)",
        ["VerifierOptions.Log"] = "a callback: the command's own output",
        ["AttackOptions.TimeLimit"] = "ignored by the verifier: verifier.attack_share and attack_max_time give the attack's time",
        ["BabOptions.TimeLimit"] = "set by the verifier from its deadline",
        ["BabOptions.MaxQueueBytes"] = "the machine's, not the benchmark's: branch_and_bound.queue_memory_share sets it from the memory available",
        ["BabOptions.Progress"] = "a callback: the command's own output",
        ["BabOptions.ProgressInterval"] = "belongs with the progress callback",
        ["BabOptions.UnsoundDropSecondChildForTesting"] = "deliberately unsound; for the soundness harness's self-check only",
        ["VerifierOptions.Certificate"] = "per run, bound to the run's files: `verify --certificate FILE`",
        ["BabOptions.Refinement"] = "the branch_and_bound section's refine_ keys",
        ["BabOptions.Recorder"] = "an object that observes the search (certificates: `verify --certificate`)",
        ["BoundOptions.Device"] = "the machine's, not the benchmark's: `bounds --device`",
    };
}
