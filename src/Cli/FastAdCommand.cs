using System.CommandLine;
using System.Reflection;
using FastAD.Kernels;
using FastAD.Kernels.IO;
using Spectre.Console;

namespace FastAD.Cli;

/// <summary>The <c>fastad</c> command tree. Commands print; the work happens in the libraries.</summary>
internal static class FastAdCommand
{
    /// <summary>Exit code for a user mistake (bad option, bad input, missing device).</summary>
    internal const int UsageError = 2;

    /// <summary>Exit code for a failed check (selftest).</summary>
    internal const int CheckFailed = 1;

    /// <summary>Exit code when standard output or standard error cannot be written (closed pipe, full disk).</summary>
    internal const int OutputFailed = 2;

    /// <summary>Where errors go: standard error for the process, a test's own console in-process.</summary>
    private static readonly AsyncLocal<IAnsiConsole?> ErrorConsole = new();

    /// <summary>The running command's arguments (for the lock files of output folders).</summary>
    private static readonly AsyncLocal<string[]?> Arguments = new();

    /// <summary>
    /// Runs the command tree. Results go to <paramref name="console"/> (standard output), errors and warnings to
    /// <paramref name="error"/> (standard error). Parse errors exit 2 like every other usage error. A standard output
    /// that is closed or full ends the command with one line on standard error (or silently when that fails too).
    /// </summary>
    internal static int Run(string[] args, IAnsiConsole? console = null, IAnsiConsole? error = null)
    {
        if (console is null)
        {
            Console.SetOut(new StandardStreamWriter(Console.Out, "standard output"));
            Console.SetError(new StandardStreamWriter(Console.Error, "standard error"));
            // Logs and pipes get plain text (no colour codes or hyperlinks) at the full table width rather than the 80-column default.
            // Standard error holds only lines (progress, warnings, errors): unwrapped there, so that each error stays one line.
            console = Console.IsOutputRedirected ? Plain(Console.Out, 160) : AnsiConsole.Console;
            error ??= Console.IsErrorRedirected ? Plain(Console.Error, Unwrapped) : AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        }
        error ??= console;
        var previous = ErrorConsole.Value;
        var previousArgs = Arguments.Value;
        ErrorConsole.Value = error;
        Arguments.Value = args;
        try
        {
            var root = Build(console);
            var parse = root.Parse(args);
            if (parse.Errors.Count > 0)
            {
                foreach (var e in parse.Errors) error.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
                string command = string.Join(' ', parse.CommandResult.Command is var c && c != root ? ["fastad", c.Name] : new[] { "fastad" });
                error.MarkupLineInterpolated($"see `{command} --help` for the options.");
                return UsageError;
            }
            return parse.Invoke(new InvocationConfiguration { Output = Console.Out, Error = Console.Error, EnableDefaultExceptionHandler = false });
        }
        catch (StandardStreamException e)
        {
            // Standard output is closed or full: say so on standard error, unless that is the stream that failed.
            if (!e.IsError)
                try { error.MarkupLineInterpolated($"[red]error:[/] {e.Message}"); }
                catch (Exception) { }
            return OutputFailed;
        }
        finally
        {
            ErrorConsole.Value = previous;
            Arguments.Value = previousArgs;
        }
    }

    /// <summary>A console width wide enough that no error or progress line wraps.</summary>
    internal const int Unwrapped = 1 << 16;

    /// <summary>A console for a file or pipe: no ANSI codes, no colour, not interactive, <paramref name="width"/> columns.</summary>
    internal static IAnsiConsole Plain(TextWriter writer, int width)
    {
        var plain = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        plain.Profile.Width = width;
        return plain;
    }

    /// <summary>The console for errors and warnings of the running command (standard error).</summary>
    internal static IAnsiConsole Errors(IAnsiConsole fallback) => ErrorConsole.Value ?? fallback;

    /// <summary>
    /// Takes the exclusive lock of an output folder for the rest of the command (see <see cref="OutputLock"/>): a folder
    /// that is a file, or one another fastad run is writing, is refused with one line naming it (and the other run).
    /// </summary>
    internal static OutputLock LockFolder(string folder, string option = "--out", string lockName = OutputLock.FolderLockName) =>
        OutputLock.Folder(folder, OutputLock.CommandLine(Arguments.Value ?? []), option, lockName);

    /// <summary>Takes an output folder's lock shared (the shards of one pseudoexperiment study) for the rest of the command.</summary>
    internal static OutputLock ShareFolder(string folder, string option = "--out") => OutputLock.SharedFolder(folder, option);

    /// <summary>Takes the exclusive lock of one output file (FILE.lock beside it) for the rest of the command.</summary>
    internal static OutputLock LockFile(string file, string option = "--out") =>
        OutputLock.File(file, OutputLock.CommandLine(Arguments.Value ?? []), option);

    internal static RootCommand Build(IAnsiConsole console)
    {
        var root = new RootCommand($"FastAD {Version}: fast, exact weakly-supervised anomaly detection for particle physics (CATHODE, CONRAD, simulation-based AD).");
        root.Subcommands.Add(DevicesCommand.Create(console));
        root.Subcommands.Add(SelfTestCommand.Create(console));
        root.Subcommands.Add(BenchCommand.Create(console));
        root.Subcommands.Add(StatsCommands.BumpHunt(console));
        root.Subcommands.Add(StatsCommands.Toys(console));
        root.Subcommands.Add(TreesCommands.TrainBdt(console));
        root.Subcommands.Add(FlowsCommands.TrainFlow(console));
        root.Subcommands.Add(FlowsCommands.FlowLatent(console));
        root.Subcommands.Add(DataCommands.Inspect(console));
        root.Subcommands.Add(DataCommands.Convert(console));
        root.Subcommands.Add(GenerateCommand.Create(console));
        root.Subcommands.Add(SimadCommand.Create(console));
        root.Subcommands.Add(CathodeCommand.Create(console));
        root.Subcommands.Add(CathodeCommand.Merge(console));
        root.Subcommands.Add(ScanCommand.Create(console));
        root.Subcommands.Add(ConradCommand.Create(console));
        return root;
    }

    internal static string Version =>
        typeof(FastAdCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>The --device option shared by every command that computes.</summary>
    internal static Option<string> DeviceOption() => new("--device", "-d")
    {
        Description = "Where to compute: auto (CUDA, then an OpenCL GPU, then the managed CPU), cpu, opencl[:N] or cuda[:N].",
        DefaultValueFactory = _ => "auto",
    };

    /// <summary>
    /// Runs a command body, turning user mistakes and backend failures into one clear line and a
    /// non-zero exit instead of a stack trace (FASTAD_DEBUG=1 shows the trace).
    /// </summary>
    internal static int Guard(IAnsiConsole console, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (StandardStreamException)
        {
            throw;
        }
        catch (Exception e) when (UserError(e) is { } user)
        {
            var error = Errors(console);
            error.MarkupLineInterpolated($"[red]error:[/] {user.Message}");
            if (Environment.GetEnvironmentVariable("FASTAD_DEBUG") == "1") error.WriteException(e);
            return UsageError;
        }
    }

    /// <summary>
    /// The exception to report in one line, or null for a bug (which keeps its stack trace). Work run in parallel
    /// (flows, ensembles) wraps a user mistake such as a corrupt model file in an AggregateException: unwrap it.
    /// </summary>
    private static Exception? UserError(Exception e)
    {
        if (e is AggregateException { InnerExceptions.Count: > 0 } ae)
        {
            // Several parallel jobs may fail the same way (e.g. every saved flow file is unreadable): report the first.
            var users = ae.Flatten().InnerExceptions.Select(UserError).ToList();
            return users.All(u => u is not null) ? users[0] : null;
        }
        return e is ArgumentException or ComputeException or IOException or UnauthorizedAccessException or NotSupportedException
            or FormatException or InvalidOperationException or KeyNotFoundException or InvalidDataException ? e : null;
    }
}
