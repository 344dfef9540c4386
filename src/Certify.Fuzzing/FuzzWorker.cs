namespace Certify.Fuzzing;

/// <summary>
/// Runs inputs one at a time on a thread of its own with a bounded stack, so that the engine can give up on an input that
/// does not return (a hang) and so that a recursion the code under test does not bound overflows a known, fixed stack
/// (16 MiB by default) rather than whatever the caller's thread has. A stack overflow still ends the process (.NET
/// cannot catch it); <see cref="InFlightRecord"/> keeps the input that did it.
/// </summary>
sealed class FuzzWorker
{
    readonly IFuzzTarget _target;
    readonly Thread _thread;
    readonly SemaphoreSlim _go = new(0);
    readonly ManualResetEventSlim _done = new(false);
    byte[] _input = [];
    volatile bool _abandoned;

    /// <summary>Label returned by the target, when it returned.</summary>
    public string? Label { get; private set; }
    /// <summary>Exception thrown by the target, when it threw.</summary>
    public Exception? Error { get; private set; }
    /// <summary>Managed bytes the last input allocated on this thread.</summary>
    public long Allocated { get; private set; }

    public FuzzWorker(IFuzzTarget target, int stackBytes)
    {
        _target = target;
        _thread = new Thread(Loop, stackBytes) { IsBackground = true, Name = $"fuzz-{target.Name}" };
        _thread.Start();
    }

    /// <summary>Starts <paramref name="input"/>; wait for it with <see cref="Wait"/>.</summary>
    public void Start(byte[] input)
    {
        _input = input;
        Label = null;
        Error = null;
        _done.Reset();
        _go.Release();
    }

    /// <summary>True when the input finished within <paramref name="timeout"/>.</summary>
    public bool Wait(TimeSpan timeout) => _done.Wait(timeout);

    /// <summary>Gives up on the thread (it is stuck in an input): it ends by itself if that input ever returns.</summary>
    public void Abandon() { _abandoned = true; _go.Release(); }

    /// <summary>Ends the thread after the current input.</summary>
    public void Stop() => Abandon();

    void Loop()
    {
        while (true)
        {
            _go.Wait();
            if (_abandoned) return;
            long before = GC.GetAllocatedBytesForCurrentThread();
            try { Label = _target.Run(_input); }
            catch (Exception e) { Error = e; }
            Allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (_abandoned) return;
            _done.Set();
        }
    }
}
