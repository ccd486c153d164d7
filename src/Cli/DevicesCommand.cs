using System.CommandLine;
using FastAD.Kernels;
using Spectre.Console;

namespace FastAD.Cli;

/// <summary><c>fastad devices</c>: every device found, and why each missing backend is missing.</summary>
internal static class DevicesCommand
{
    internal static Command Create(IAnsiConsole console)
    {
        var cmd = new Command("devices", "List compute devices (name, kind, memory, compute units) and explain missing backends.");
        cmd.SetAction(_ => FastAdCommand.Guard(console, () =>
        {
            using var registry = DeviceRegistry.Discover();
            var table = new Table().Border(TableBorder.Rounded)
                .AddColumns("id", "kind", "name", "memory", "compute units", "max group", "details");
            foreach (var d in registry.Devices)
                table.AddRow(Markup.Escape(d.Id), d.Kind.ToString(), Markup.Escape(d.Name), FormatBytes(d.GlobalMemoryBytes),
                    d.ComputeUnits.ToString(), d.MaxWorkGroupSize.ToString(), Markup.Escape(d.Details));
            console.Write(table);
            foreach (var b in registry.Backends.Where(b => b.Problem is not null))
            {
                string state = b.Devices.Count == 0 ? "unavailable" : "partly available";
                console.MarkupLineInterpolated($"[yellow]{b.Kind} {state}:[/] {b.Problem}");
            }
            console.MarkupLineInterpolated($"--device auto selects [bold]{registry.Select("auto").Id}[/].");
            return 0;
        }));
        return cmd;
    }

    internal static string FormatBytes(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):F1} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):F1} MiB",
        _ => $"{bytes} B",
    };
}
