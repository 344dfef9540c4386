namespace Certify.Tests;

/// <summary>
/// Tests whose random cases come from <c>torch.manual_seed</c>, which seeds and returns TorchSharp's one global generator:
/// run in parallel with other test classes, their draws interleave with others' and the cases change from run to run.
/// Classes in this collection run alone, so that assertions about how many cases succeed are reproducible.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SequentialRandomCollection
{
    public const string Name = "Global torch generator (not parallel)";
}
