using System.Diagnostics;
using FastAD.Kernels;

namespace FastAD.Analyses;

/// <summary>
/// What every stage of a run shares, in place of parameter lists: the device the engines' seams choose their path for,
/// the model store (paths, fingerprints, reuse), the progress sink, the cancellation token and the stage timings.
/// </summary>
public sealed class RunContext
{
    private readonly Dictionary<string, double> _seconds;

    /// <summary>A context for one run.</summary>
    public RunContext(ComputeDevice device, ModelStore models, IProgress<StageProgress>? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(models);
        (Device, Models, Progress, Cancel, _seconds) = (device, models, progress, cancel, []);
    }

    private RunContext(RunContext run, CancellationToken cancel) =>
        (Device, Models, Progress, Cancel, _seconds) = (run.Device, run.Models, run.Progress, cancel, run._seconds);

    /// <summary>The run's device (the seams pick the kernel or the managed path for it).</summary>
    public ComputeDevice Device { get; }

    /// <summary>Where the run's models are saved and reused from.</summary>
    public ModelStore Models { get; }

    /// <summary>Progress sink (null: none).</summary>
    public IProgress<StageProgress>? Progress { get; }

    /// <summary>Checked after every epoch and stage.</summary>
    public CancellationToken Cancel { get; }

    /// <summary>Seconds spent per stage so far (stages timed more than once add up).</summary>
    public Dictionary<string, double> Seconds
    {
        get { lock (_seconds) return new Dictionary<string, double>(_seconds); }
    }

    /// <summary>
    /// The same run (device, models, progress, the same stage timings) under another cancellation token: stages that run
    /// side by side stop each other when one fails.
    /// </summary>
    public RunContext WithCancellation(CancellationToken cancel) => new(this, cancel);

    /// <summary>
    /// Runs <paramref name="first"/> and <paramref name="second"/> side by side (independent stages, e.g. two channels).
    /// When one fails the other is cancelled at its next check, and the first failure is rethrown as it was.
    /// </summary>
    public (T1, T2) Both<T1, T2>(Func<RunContext, T1> first, Func<RunContext, T2> second)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        var inner = WithCancellation(stop.Token);
        T Guarded<T>(Func<RunContext, T> body)
        {
            try { return body(inner); }
            catch
            {
                stop.Cancel();
                throw;
            }
        }
        var other = Task.Run(() => Guarded(second));
        Exception? failed = null;
        T1 a = default!;
        try { a = Guarded(first); }
        catch (Exception e) { failed = e; }
        try { other.Wait(); }
        catch (AggregateException) { }
        // The failure to report: the first one that is not the cancellation it caused in the other stage (a Ctrl+C
        // cancels both: then that is what is reported).
        var secondError = other.Exception?.InnerException;
        var error = failed is OperationCanceledException && secondError is not null and not OperationCanceledException ? secondError : failed ?? secondError;
        if (error is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(error).Throw();
        return (a, other.Result);
    }

    /// <summary>Runs <paramref name="body"/> and adds its wall time to <paramref name="stage"/>.</summary>
    public T Time<T>(string stage, Func<T> body)
    {
        var sw = Stopwatch.StartNew();
        try { return body(); }
        finally
        {
            lock (_seconds) _seconds[stage] = _seconds.GetValueOrDefault(stage) + sw.Elapsed.TotalSeconds;
        }
    }

    /// <summary>Reports progress of <paramref name="stage"/>.</summary>
    public void Report(string stage, double done, double total, string? note = null) => Progress?.Report(new StageProgress(stage, done, total, note));

    /// <summary>A note the user must see even with --quiet: the run changed or refused something it was given.</summary>
    public void Warn(string stage, string note) => Progress?.Report(new StageProgress(stage, 0, 0, note, Warning: true));

    /// <summary>Throws when the run was cancelled.</summary>
    public void ThrowIfCancelled() => Cancel.ThrowIfCancellationRequested();
}
