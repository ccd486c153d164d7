using System.Diagnostics;
using System.Globalization;
using FastAD.Analyses;
using Spectre.Console;

namespace FastAD.Cli;

/// <summary>
/// Runs an analysis with progress shown the way the console allows — Spectre progress bars with ETA on a terminal,
/// one line per stage note and completion in logs, only the warnings with --quiet, all on standard error — and Ctrl+C turned into cancellation:
/// the analysis stops at its next check, keeps what it saved, and the command exits 130 with a message.
/// </summary>
internal static class AnalysisRunner
{
    /// <summary>Exit code after Ctrl+C.</summary>
    internal const int Interrupted = 130;

    /// <summary>A number with fixed decimals (invariant culture), "–" for NaN: the analyses' headline and summary tables.</summary>
    internal static string Number(double v, int digits = 2) => double.IsNaN(v) ? "–" : v.ToString("F" + digits, CultureInfo.InvariantCulture);

    /// <summary>An empty two-column "headline | value" table and the function that adds a row (both texts escaped).</summary>
    internal static (Table Table, Action<string, string> Row) HeadlineTable()
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumns("headline", "value");
        return (table, (k, v) => table.AddRow(Markup.Escape(k), Markup.Escape(v)));
    }

    /// <summary>The last line of an analysis: where its report is and how many files the run wrote.</summary>
    internal static void ReportLine(IAnsiConsole console, string outDir, int files) =>
        console.MarkupLineInterpolated($"report: [link]{Path.Combine(outDir, "report.md")}[/] ({files} files in {outDir})");

    /// <summary>Runs <paramref name="body"/>; returns false (and prints where the saved work is) when interrupted.</summary>
    internal static bool TryRun<T>(IAnsiConsole console, bool quiet, string savedWorkHint, Func<IProgress<StageProgress>?, CancellationToken, T> body, out T result)
    {
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            // The first Ctrl+C asks for a clean stop at the next check; a second one (e.g. during a long device launch) ends the process.
            e.Cancel = !cancel.IsCancellationRequested;
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        // Progress and warnings go to standard error, so that standard output holds only the results.
        var status = FastAdCommand.Errors(console);
        try
        {
            result = quiet ? body(new CallbackProgress<StageProgress>(p => { if (p.Warning) lock (status) Warn(status, p); }), cancel.Token)
                : status.Profile.Capabilities.Interactive ? WithBars(status, body, cancel.Token)
                : body(new LineProgress(status), cancel.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            status.MarkupLineInterpolated($"[yellow]interrupted:[/] {savedWorkHint}");
            result = default!;
            return false;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    private static T WithBars<T>(IAnsiConsole console, Func<IProgress<StageProgress>?, CancellationToken, T> body, CancellationToken cancel)
    {
        T result = default!;
        console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var tasks = new Dictionary<string, ProgressTask>();
                var progress = new CallbackProgress<StageProgress>(p =>
                {
                    lock (tasks)
                    {
                        if (!tasks.TryGetValue(p.Stage, out var t))
                            tasks[p.Stage] = t = ctx.AddTask(Markup.Escape(p.Stage), maxValue: Math.Max(p.Total, 1));
                        if (p.Total > 0) t.MaxValue = p.Total;
                        t.Value = Math.Min(p.Done, t.MaxValue);
                        if (p.Warning) Warn(console, p);
                        else if (p.Note is not null) t.Description = Markup.Escape($"{p.Stage}: {p.Note}");
                    }
                });
                result = body(progress, cancel);
                lock (tasks) foreach (var t in tasks.Values) t.Value = t.MaxValue;
            });
        return result;
    }

    /// <summary>A warning note as one line, "warning: stage: note".</summary>
    private static void Warn(IAnsiConsole console, StageProgress p) => console.MarkupLineInterpolated($"[yellow]warning:[/] {p.Stage}: {p.Note}");

    /// <summary>For logs: one line per stage note and per stage completion, with the time since the start.</summary>
    private sealed class LineProgress(IAnsiConsole console) : IProgress<StageProgress>
    {
        private readonly HashSet<string> _done = [];
        private readonly Stopwatch _clock = Stopwatch.StartNew();

        public void Report(StageProgress p)
        {
            lock (_done)
            {
                string t = _clock.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture);
                if (p.Warning) Warn(console, p);
                else if (p.Note is not null) console.MarkupLineInterpolated($"[grey]{t} s[/] {p.Stage}: {p.Note}");
                if (p.Total > 0 && p.Done >= p.Total && _done.Add(p.Stage)) console.MarkupLineInterpolated($"[grey]{t} s[/] {p.Stage}: done");
            }
        }
    }
}
