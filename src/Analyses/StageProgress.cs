namespace FastAD.Analyses;

/// <summary>
/// Progress of an analysis: the stage, how far it is, and an optional note (what runs where, what was reused). A note that
/// is a <paramref name="Warning"/> — the run changed something the user gave it (events clamped, a saved model retrained) —
/// is shown even with --quiet and stays on screen when progress bars replace the other notes.
/// </summary>
public readonly record struct StageProgress(string Stage, double Done, double Total, string? Note = null, bool Warning = false);

/// <summary>
/// An <see cref="IProgress{T}"/> that reports on the calling thread. <see cref="Progress{T}"/> posts to the thread pool,
/// so its reports can arrive late or out of order; progress bars and cancellation checks need them in order.
/// </summary>
public sealed class CallbackProgress<T>(Action<T> report) : IProgress<T>
{
    /// <inheritdoc />
    public void Report(T value) => report(value);
}

/// <summary>
/// Passes progress on to <paramref name="inner"/>, with <paramref name="label"/> (e.g. "100 injected", a scan window) added
/// to the stage of every warning, so that a warning from one of many sub-runs says which one it came from.
/// </summary>
public sealed class LabelledProgress(IProgress<StageProgress>? inner, string label) : IProgress<StageProgress>
{
    /// <summary>The labelled sink, or null when there is nothing to report to.</summary>
    public static IProgress<StageProgress>? Of(IProgress<StageProgress>? inner, string label) => inner is null ? null : new LabelledProgress(inner, label);

    /// <inheritdoc />
    public void Report(StageProgress value) => inner?.Report(value.Warning ? value with { Stage = $"{value.Stage}, {label}" } : value);
}
