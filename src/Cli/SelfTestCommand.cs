using System.CommandLine;
using System.Globalization;
using FastAD.Kernels;
using FastAD.Kernels.Diagnostics;
using Spectre.Console;

namespace FastAD.Cli;

/// <summary><c>fastad selftest</c>: every kernel against the managed double-precision reference.</summary>
internal static class SelfTestCommand
{
    internal static Command Create(IAnsiConsole console)
    {
        var device = FastAdCommand.DeviceOption();
        var cmd = new Command("selftest", "Run every primitive on a device against the scalar double-precision reference and print a pass/fail table.")
        {
            device,
        };
        cmd.SetAction(parse => FastAdCommand.Guard(console, () =>
        {
            using var registry = DeviceRegistry.Discover();
            var d = registry.Select(parse.GetValue(device));
            console.MarkupLineInterpolated($"selftest on [bold]{d.Id}[/] ({d.Name})");
            var results = SelfTest.Run(d).Concat(FastAD.Stats.FitSelfTest.Run(d)).Concat(FastAD.Trees.TreesSelfTest.Run(d))
                .Concat(FastAD.Flows.FlowsSelfTest.Run(d)).ToList();
            var table = new Table().Border(TableBorder.Rounded).AddColumns("check", "result", "max error", "tolerance", "time", "covered");
            foreach (var r in results)
                table.AddRow(Markup.Escape(r.Check), r.Passed ? "[green]pass[/]" : "[red]FAIL[/]",
                    r.MaxError.ToString("E2", CultureInfo.InvariantCulture), r.Tolerance.ToString("E0", CultureInfo.InvariantCulture),
                    $"{r.Seconds:F2} s", Markup.Escape(r.Detail));
            console.Write(table);
            int failed = results.Count(r => !r.Passed);
            if (failed == 0) console.MarkupLineInterpolated($"[green]all {results.Count} checks passed on {d.Id}[/]");
            else console.MarkupLineInterpolated($"[red]{failed} of {results.Count} checks failed on {d.Id}[/]");
            return failed == 0 ? 0 : FastAdCommand.CheckFailed;
        }));
        return cmd;
    }
}
