using System.Diagnostics;
using FastAD.Kernels;

namespace FastAD.Analyses;

/// <summary>
/// What every stage of a run shares, in place of parameter lists: the device the engines' seams choose their path for,
/// the model store (paths, fingerprints, reuse), the progress sink, the cancellation token and the stage timings.
/// </summary>
public sealed class RunContext
{
    private readonly Dictionary<string, double> _seconds = [];

    /// <summary>A context for one run.</summary>
    public RunContext(ComputeDevice device, ModelStore models, IProgress<StageProgress>? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(models);
        (Device, Models, Progress, Cancel) = (device, models, progress, cancel);
    }

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

    /// <summary>The same run with another model store (pseudoexperiments keep the main run's models rather than replace them).</summary>
    public RunContext With(ModelStore models) => new(Device, models, Progress, Cancel);

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
