using System.Diagnostics;

namespace Certify;

/// <summary>
/// The instant by which a piece of work must stop, on the monotonic clock (<see cref="Stopwatch.GetTimestamp"/>), together
/// with the caller's <see cref="CancellationToken"/>: <see cref="IsPast"/> is true once the instant has come or the token
/// is cancelled. It is the one home of time limits in the verification path: the verifier makes one from
/// <c>--timeout</c> and every stage (attack, branch and bound, the bound engine's inner loops, the exact back-ends and
/// the solvers' own limits) receives it or a sub-deadline of it, which can never end later than it.
/// <para>
/// Why an instant and not a <see cref="TimeSpan"/> handed down: a span measured when a stage is called goes stale while
/// the stage does set-up work (encoding and building a MILP, the CROWN bounds for its big-M constants), so limits were
/// counted from the wrong "now" and stages overran (a MILP stage was given 45 s with 6 s left). A receiver reads
/// <see cref="Remaining"/> at the moment it needs a number (a solver's time limit). Why monotonic: <c>DateTime.UtcNow</c>
/// jumps with clock adjustments. Why the token is inside rather than beside it: every place that checks the time must
/// also check cancellation, and one value cannot forget one of them. The token is held, not linked into a new
/// <see cref="CancellationTokenSource"/>, so there is nothing to dispose; sub-deadlines keep the same token.
/// </para>
/// <c>default(Deadline)</c> is <see cref="None"/>: no time limit and no cancellation.
/// </summary>
public readonly struct Deadline : IEquatable<Deadline>
{
    readonly long _end;          // Stopwatch timestamp; meaningful only when _limited
    readonly bool _limited;

    Deadline(long end, bool limited, CancellationToken cancel)
    {
        _end = end;
        _limited = limited;
        Cancellation = cancel;
    }

    /// <summary>No time limit and no cancellation (the same as <c>default</c>).</summary>
    public static Deadline None => default;

    /// <summary>
    /// <paramref name="span"/> from now (zero or negative: already past), cancelled early by <paramref name="cancel"/>.
    /// A span too long for the clock (e.g. <see cref="TimeSpan.MaxValue"/>) means no time limit.
    /// </summary>
    public static Deadline After(TimeSpan span, CancellationToken cancel = default) => From(Stopwatch.GetTimestamp(), span, cancel);

    /// <summary>No time limit, but stops when <paramref name="cancel"/> is cancelled.</summary>
    public static Deadline Cancelled(CancellationToken cancel) => new(0, false, cancel);

    static Deadline From(long now, TimeSpan span, CancellationToken cancel)
    {
        double ticks = Math.Max(0, span.TotalSeconds) * Stopwatch.Frequency;
        if (ticks >= long.MaxValue - (double)Math.Max(0, now)) return new Deadline(0, false, cancel);
        return new Deadline(now + (long)ticks, true, cancel);
    }

    /// <summary>The token that ends this deadline early (<see cref="CancellationToken.None"/> when there is none).</summary>
    public CancellationToken Cancellation { get; }

    /// <summary>True when there is a time limit (false for <see cref="None"/> and <see cref="Cancelled"/>).</summary>
    public bool HasTimeLimit => _limited;

    /// <summary>True once the instant has come or the token is cancelled: work should stop.</summary>
    public bool IsPast => Cancellation.IsCancellationRequested || (_limited && Stopwatch.GetTimestamp() >= _end);

    /// <summary>Time left: <see cref="TimeSpan.Zero"/> when past or cancelled, <see cref="TimeSpan.MaxValue"/> without a time limit.</summary>
    public TimeSpan Remaining
    {
        get
        {
            if (Cancellation.IsCancellationRequested) return TimeSpan.Zero;
            if (!_limited) return TimeSpan.MaxValue;
            long now = Stopwatch.GetTimestamp();
            return now >= _end ? TimeSpan.Zero : Stopwatch.GetElapsedTime(now, _end);
        }
    }

    /// <summary>The earlier of this deadline and <paramref name="span"/> from now; same token.</summary>
    public Deadline Within(TimeSpan span)
    {
        var other = From(Stopwatch.GetTimestamp(), span, Cancellation);
        return other <= this ? other : this;
    }

    /// <summary>
    /// A sub-budget: <paramref name="fraction"/> (0..1) of the time remaining now, from now; same token. It never ends
    /// later than this deadline. Without a time limit the share has none either.
    /// </summary>
    public Deadline Share(double fraction)
    {
        if (!_limited) return this;
        if (!(fraction < 1)) return this;
        long now = Stopwatch.GetTimestamp();
        long left = Math.Max(0, _end - now);
        return new Deadline(now + (long)(left * Math.Max(0, fraction)), true, Cancellation);
    }

    /// <summary>Milliseconds left for a solver's own time limit, at least <paramref name="minimum"/> (solvers read 0 as "no limit").</summary>
    public long RemainingMilliseconds(long minimum = 1, long maximum = int.MaxValue) =>
        Math.Clamp((long)Math.Min(Remaining.TotalMilliseconds, long.MaxValue / 2), minimum, maximum);

    /// <summary>Earlier ends first; <see cref="None"/> ends after every limited deadline (tokens are not compared).</summary>
    public static bool operator <=(Deadline a, Deadline b) => !b._limited || (a._limited && a._end <= b._end);
    public static bool operator >=(Deadline a, Deadline b) => b <= a;
    public static bool operator <(Deadline a, Deadline b) => !(b <= a);
    public static bool operator >(Deadline a, Deadline b) => b < a;
    public static bool operator ==(Deadline a, Deadline b) => a.Equals(b);
    public static bool operator !=(Deadline a, Deadline b) => !a.Equals(b);

    public bool Equals(Deadline other) => _limited == other._limited && (!_limited || _end == other._end) && Cancellation == other.Cancellation;
    public override bool Equals(object? obj) => obj is Deadline d && Equals(d);
    public override int GetHashCode() => HashCode.Combine(_limited, _limited ? _end : 0, Cancellation);

    /// <summary>"none", "past", "cancelled" or the time left ("3.20 s left").</summary>
    public override string ToString() =>
        Cancellation.IsCancellationRequested ? "cancelled" : !_limited ? "none" : IsPast ? "past" : $"{Remaining.TotalSeconds:F2} s left";
}
