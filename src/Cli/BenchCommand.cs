using System.CommandLine;
using System.Globalization;
using FastAD.Kernels;
using FastAD.Kernels.Diagnostics;
using Spectre.Console;

namespace FastAD.Cli;

/// <summary>
/// <c>fastad bench</c>: wall-clock throughput of the engines' suites on one or more devices. It needs
/// no SDK, so it runs on a GPU machine from the self-contained build. Later engines add suites here.
/// </summary>
internal static class BenchCommand
{
    private static readonly Dictionary<string, Func<bool, IEnumerable<Func<ComputeDevice, PrimitiveWorkload>>>> Suites = new()
    {
        ["primitives"] = PrimitiveWorkload.Suite,
        ["toys"] = ToySuite,
        ["trees"] = TreesCommands.Suite,
        ["flows"] = FlowsCommands.Suite,
        ["pseudo"] = PseudoSuite,
    };

    /// <summary>
    /// Pseudoexperiments per hour in the paper configuration of the classifier (5 folds × 100 BDTs retrained per
    /// pseudoexperiment, 25-point FPR scan, reweighting) on the generated OS sample; the paper's 5 flows with 60 of the
    /// paper's 400 epochs (their cost is paid once per study, not per pseudoexperiment). Items are pseudoexperiments.
    /// </summary>
    private static IEnumerable<Func<ComputeDevice, PrimitiveWorkload>> PseudoSuite(bool quick)
    {
        foreach (var mode in new[] { FastAD.Analyses.Cathode.PseudoMode.Bootstrap, FastAD.Analyses.Cathode.PseudoMode.Null })
        {
            yield return d =>
            {
                var c = FastAD.Analyses.Cathode.CathodeConfig.Paper();
                // The paper's 5 flows (so the BDTs see the paper's number of samples), trained long enough that their samples
                // resemble the data (barely trained flows let the BDTs separate samples from data and run many more rounds).
                c.Flows.Epochs = quick ? 2 : 60;
                if (quick) c.Bdt.Members = 5;
                var (os, _) = FastAD.Analyses.Cathode.CathodeData.Generate(c);
                string dir = Directory.CreateTempSubdirectory("fastad-bench-pseudo").FullName;
                bool gpu = FastAD.Trees.Ensemble.RunsKernels(d, c.BoostingParameters(FastAD.Data.Synthetic.DimuonChannel.OS));
                int batch = quick ? 1 : gpu ? 32 : 2;
                var request = new FastAD.Analyses.Cathode.PseudoRequest(c, os, os, dir, mode, FastAD.Analyses.Cathode.PseudoRetrain.Bdt, batch,
                    FastAD.Analyses.Cathode.Shard.Whole, batch);
                var study = FastAD.Analyses.Cathode.PseudoExperiments.Prepare(request, "generated", d);
                Directory.Delete(dir, true);
                var indices = Enumerable.Range(0, batch).ToArray();
                return PrimitiveWorkload.Create($"pseudoexperiments ({mode.ToString().ToLowerInvariant()}, {c.Bdt.Folds} folds x {c.Bdt.Members} BDTs each)",
                    $"{batch} per call, {os.Rows:N0} events", d, batch, () => study.Evaluate(indices));
            };
        }
    }

    /// <summary>Toys/s of the nominal fit (degree 5, 64 + 1 bins, two fits per toy) around the CMS OS background.</summary>
    private static IEnumerable<Func<ComputeDevice, PrimitiveWorkload>> ToySuite(bool quick)
    {
        var request = new FastAD.Analyses.BumpHunt.ToyRequest(quick ? 2_000 : 50_000, 1, StatsCommands.ResolveMasses(StatsCommands.DefaultMasses),
            StatsCommands.ParseWhere("selection=os_cathode,fpr=1"));
        var (model, phi) = FastAD.Analyses.BumpHunt.ToyJob.Background(request);
        yield return d =>
        {
            bool gpu = d.Kind == DeviceKind.Cuda || d is FastAD.Kernels.OpenCL.OpenClDevice { IsGpu: true };
            long n = gpu && !quick ? request.Count * 40 : request.Count;
            return PrimitiveWorkload.Create("bump-hunt toys", $"{n:N0} toys, degree 5, 64+1 bins", d, n,
                () => FastAD.Stats.ToyStudy.Run(d, model, phi, n, 1, batch: 1 << 20));
        };
    }

    internal static Command Create(IAnsiConsole console)
    {
        var devices = new Option<string[]>("--device", "-d")
        {
            Description = "Devices to measure (repeatable): cpu, opencl[:N], cuda[:N], auto, or all. Default: all found.",
            AllowMultipleArgumentsPerToken = true,
            DefaultValueFactory = _ => ["all"],
        };
        var suite = new Option<string>("--suite", "-s")
        {
            Description = $"Suite to run: {string.Join(", ", Suites.Keys)}.",
            DefaultValueFactory = _ => "primitives",
        };
        var quick = new Option<bool>("--quick") { Description = "Small sizes, for a smoke run." };
        var seconds = new Option<double>("--seconds") { Description = "Time budget per workload.", DefaultValueFactory = _ => 1.0 };
        var cmd = new Command("bench", "Measure throughput (GFLOP/s, GB/s) of a suite on the chosen devices.") { devices, suite, quick, seconds };
        cmd.SetAction(parse => FastAdCommand.Guard(console, () =>
        {
            string name = parse.GetValue(suite)!;
            if (!Suites.TryGetValue(name, out var factory))
                throw new ArgumentException($"Unknown suite '{name}'. Known: {string.Join(", ", Suites.Keys)}.");
            using var registry = DeviceRegistry.Discover();
            var selected = new List<ComputeDevice>();
            foreach (var s in parse.GetValue(devices)!)
            {
                if (s.Equals("all", StringComparison.OrdinalIgnoreCase)) selected.AddRange(registry.Devices);
                else selected.Add(registry.Select(s));
            }
            var table = new Table().Border(TableBorder.Rounded).AddColumns("device", "workload", "size", "median", "GFLOP/s", "GB/s", "items/s", "runs");
            console.MarkupLineInterpolated($"suite [bold]{name}[/]{(parse.GetValue(quick) ? " (quick)" : "")}, {Environment.ProcessorCount} host cores");
            foreach (var d in selected.Distinct())
            {
                foreach (var make in factory(parse.GetValue(quick)))
                {
                    PrimitiveWorkload w;
                    try { w = make(d); }
                    catch (NotSupportedException e)
                    {
                        console.MarkupLineInterpolated($"[yellow]skipped on {d.Id}:[/] {e.Message}");
                        continue;
                    }
                    using var owned = w;
                    var r = WorkloadTimer.Measure(w, parse.GetValue(seconds));
                    table.AddRow(Markup.Escape(d.Id), Markup.Escape(r.Workload), Markup.Escape(r.Size), FormatTime(r.MedianSeconds),
                        F(r.GFlops), F(r.GBytes), Rate(r.GItems * 1e9), r.Runs.ToString(CultureInfo.InvariantCulture));
                }
            }
            console.Write(table);
            return 0;
        }));
        return cmd;
    }

    private static string F(double v) => double.IsNaN(v) ? "-" : v.ToString(v >= 100 ? "F0" : v >= 1 ? "F1" : "F3", CultureInfo.InvariantCulture);

    private static string Rate(double perSecond) => perSecond switch
    {
        >= 1e9 => $"{perSecond / 1e9:F2} G",
        >= 1e6 => $"{perSecond / 1e6:F2} M",
        >= 1e3 => $"{perSecond / 1e3:F1} k",
        _ => $"{perSecond:F1}",
    };

    private static string FormatTime(double s) => s >= 1 ? $"{s:F2} s" : s >= 1e-3 ? $"{s * 1e3:F2} ms" : $"{s * 1e6:F1} us";
}
