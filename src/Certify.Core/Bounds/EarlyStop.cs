using TorchSharp;
using static TorchSharp.torch;

namespace Certify.Bounds;

/// <summary>
/// The early-stop rule of one alpha-/beta-CROWN phase (<see cref="BoundEngine"/>): after each evaluated iterate, the phase
/// may end before its iteration count when every row of every sub-problem is either
/// <list type="bullet">
/// <item>proven: its best lower bound clears the caller's target (<see cref="SubproblemInputs.StopWhenProved"/>; a
/// search has no use for a tighter bound on a row it already counts as proven), or</item>
/// <item>stalled: its best bound (lower and, when computed, upper) moved by at most
/// <c>EarlyStopAbsolute + EarlyStopRelative·|bound|</c> over the last <see cref="BoundOptions.EarlyStopWindow"/>
/// iterates (<see cref="BoundOptions"/>).</item>
/// </list>
/// Why per row: every row has its own parameters (<c>[B, S, ...]</c>), so rows do not help each other, and one row still
/// climbing keeps the phase going. Only the best bound so far is returned, and every iterate is a sound bound, so stopping
/// early can make a bound looser but never unsound. Costs one host synchronisation per iteration (a boolean reduction).
/// </summary>
sealed class EarlyStop : IDisposable
{
    readonly int _window;
    readonly double _relative, _absolute;
    readonly ProofTargets? _targets;
    readonly long _batch, _rows;
    readonly Queue<(Tensor Lower, Tensor? Upper)> _history = new();
    Tensor? _target;

    public EarlyStop(BoundOptions options, ProofTargets? targets, long batch, long rows)
    {
        _window = Math.Max(0, options.EarlyStopWindow);
        _relative = options.EarlyStopRelative;
        _absolute = options.EarlyStopAbsolute;
        _targets = targets;
        _batch = batch;
        _rows = rows;
    }

    /// <summary>Forgets the history: a new phase (beta-CROWN's joint phase) starts from the best parameters and its own window.</summary>
    public void Restart()
    {
        while (_history.Count > 0) { var (l, u) = _history.Dequeue(); l.Dispose(); u?.Dispose(); }
    }

    /// <summary>
    /// Records the best bounds after an iterate (<c>[B, S]</c>; <paramref name="bestU"/> null when only lower bounds are
    /// computed) and says whether the phase may stop now.
    /// </summary>
    public bool Done(Tensor bestL, Tensor? bestU)
    {
        if (_window == 0 && _targets is null) return false;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor? proven = null;                                                       // [B, S]
        if (_targets is { } t)
        {
            _target ??= t.Values.to(bestL.dtype, bestL.device).expand(_batch, _rows).DetachFromDisposeScope();
            var margin = t.RelativeMargin * (1 + _target.abs() + bestL.abs());
            proven = (bestL - _target).gt(margin).logical_and(bestL.isfinite());
            if (bestU is null && proven.all().ToBoolean()) return true;
        }
        if (_window == 0) return false;
        _history.Enqueue((bestL.clone().DetachFromDisposeScope(), bestU?.clone().DetachFromDisposeScope()));
        if (_history.Count <= _window) return false;
        var (oldL, oldU) = _history.Dequeue();
        try
        {
            // NaN (−inf to −inf: a row no iterate could bound) compares false: such a row counts as stalled.
            var moving = (bestL - oldL).gt(_absolute + _relative * bestL.abs());
            if (proven is not null) moving = moving.logical_and(proven.logical_not());
            if (bestU is not null && oldU is not null) moving = moving.logical_or((oldU - bestU).gt(_absolute + _relative * bestU.abs()));
            return !moving.any().ToBoolean();
        }
        finally { oldL.Dispose(); oldU?.Dispose(); }
    }

    /// <summary>Frees the history and the expanded targets.</summary>
    public void Dispose()
    {
        Restart();
        _target?.Dispose();
        _target = null;
    }
}

/// <summary>
/// Per-row proof targets of a caller (branch and bound): row s of a sub-problem counts as proven when its lower bound
/// exceeds <c>Values[s] + RelativeMargin·(1 + |Values[s]| + |bound|)</c>. Only an early-stop hint for the optimiser
/// (<see cref="EarlyStop"/>): the caller still decides what is proven from the bounds returned.
/// </summary>
/// <param name="Values">The targets, <c>[S]</c> or <c>[B, S]</c> (any dtype and device; converted).</param>
/// <param name="RelativeMargin">Relative margin over the targets (a float32 search's tolerance).</param>
public sealed record ProofTargets(Tensor Values, double RelativeMargin);
