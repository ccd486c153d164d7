using System.CommandLine;
using System.Reflection;
using FastAD.Kernels;
using Spectre.Console;

namespace FastAD.Cli;

/// <summary>The <c>fastad</c> command tree. Commands print; the work happens in the libraries.</summary>
internal static class FastAdCommand
{
    /// <summary>Exit code for a user mistake (bad option, bad input, missing device).</summary>
    internal const int UsageError = 2;

    /// <summary>Exit code for a failed check (selftest).</summary>
    internal const int CheckFailed = 1;

    internal static int Run(string[] args, IAnsiConsole? console = null)
    {
        if (console is null)
        {
            console = AnsiConsole.Console;
            // Logs and pipes get the full table width rather than the 80-column default.
            if (Console.IsOutputRedirected) console.Profile.Width = 160;
        }
        var root = Build(console);
        return root.Parse(args).Invoke();
    }

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
        catch (Exception e) when (UserError(e) is { } user)
        {
            console.MarkupLineInterpolated($"[red]error:[/] {user.Message}");
            if (Environment.GetEnvironmentVariable("FASTAD_DEBUG") == "1") console.WriteException(e);
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
