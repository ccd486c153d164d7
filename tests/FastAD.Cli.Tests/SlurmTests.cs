using System.Diagnostics;
using FastAD.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace FastAD.Cli.Tests;

/// <summary>
/// scripts/slurm-pseudo.sh on a real Slurm (scripts/slurm-local.sh starts a one-node cluster; .ci/run does and sets
/// FASTAD_REQUIRE_SLURM=1): a two-task array of CATHODE pseudoexperiments, one task cancelled part-way with scancel and
/// resubmitted on its own, must merge to the bytes of one uninterrupted process. Skipped, with the reason, where there is
/// no Slurm or no idle node, unless FASTAD_REQUIRE_SLURM=1.
/// </summary>
public class SlurmTests(ITestOutputHelper log)
{
    private const int Count = 16;          // pseudoexperiments in the study: 8 per shard
    private const int PerShard = Count / 2;
    private static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(4);

    [SkippableFact]
    public void ArrayWithACancelledAndResubmittedTaskMergesToTheSingleProcessResult()
    {
        RequireSlurm();
        string root = Directory.CreateTempSubdirectory("fastad-slurm-real").FullName;
        var jobs = new List<string>();
        var clock = Stopwatch.StartNew();
        try
        {
            // Tiny flows (trained once, below); the quick preset's BDT ensemble, so that each pseudoexperiment takes about a second.
            string cfg = Path.Combine(root, "tiny.yaml");
            File.WriteAllText(cfg, "flows:\n  ensemble: 1\n  epochs: 2\n  blocks: 2\nstatistics:\n  fpr_points: 4\n");
            string single = Path.Combine(root, "single"), array = Path.Combine(root, "array");

            // The reference: the whole study in one uninterrupted process (not through Slurm).
            var (code, output) = CliRunner.Run("cathode", "pseudo", "--generate", "--config", cfg, "--preset", "quick", "--n", $"{Count}", "--mode", "null",
                "--out", single, "--quiet");
            Assert.True(code == 0, output);
            (code, output) = CliRunner.Run("merge", single);
            Assert.True(code == 0, output);
            log.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: reference done");
            // The tasks read the flows from OUT/models, as slurm-pseudo.sh says (trained once, not by two tasks at the same time).
            CopyFolder(Path.Combine(single, "models"), Path.Combine(array, "models"));

            string script = Path.Combine(Layering.RepositoryRoot(), "scripts", "slurm-pseudo.sh");
            var env = new Dictionary<string, string?>
            {
                ["FASTAD"] = $"{DotnetHost()} {typeof(FastAdCommand).Assembly.Location}",
                ["FASTAD_OUT"] = array,
                ["FASTAD_N"] = $"{Count}",
                ["FASTAD_MODE"] = "null",
                // --batch 1: every pseudoexperiment is appended on its own, so a cancelled task leaves some behind.
                ["FASTAD_EXTRA_ARGS"] = $"--config {cfg} --preset quick --batch 1",
                ["FASTAD_SHARDS"] = null,
                // One thread per task, as allocated (--cpus-per-task=1): a shard takes about as long on a big machine as on a
                // small one, so the cancellation below lands part-way; and results must not depend on the thread count.
                ["DOTNET_PROCESSOR_COUNT"] = "1",
            };
            // The script asks for 8 CPUs and 8 GB: a one-node test cluster may have 2 CPUs (memory is not enforced here).
            string[] sbatch = ["--parsable", "--job-name=fastad-slurm-test", "--cpus-per-task=1", "--mem=500M", "--time=15", $"--chdir={root}",
                $"--output={Path.Combine(root, "task-%A_%a.log")}"];
            string job = Submit([.. sbatch, "--array=0-1", script], env);
            jobs.Add(job);
            log.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: submitted array {job}");

            // Task 1 is cancelled once it has saved a result.
            string shard1 = Path.Combine(array, "pseudo", "null-bdt-shard-1-of-2.jsonl");
            WaitFor(() => Results(shard1) >= 1, () => InQueue($"{job}_1"), $"task {job}_1 to save a result", root);
            var (sc, so) = Tool("scancel", [$"{job}_1"]);
            Assert.True(sc == 0, $"scancel {job}_1: {so}");
            WaitFor(() => !InQueue($"{job}_1"), () => true, $"the cancelled task {job}_1 to leave the queue", root);
            int saved = Results(shard1);
            log.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: cancelled {job}_1 with {saved} of {PerShard} results saved");
            Assert.True(saved < PerShard, $"task {job}_1 finished ({saved} results) before it was cancelled: the shards are too quick for this test.\n{Logs(root)}");
            Assert.Contains("CANCELLED", File.ReadAllText(Path.Combine(root, $"task-{job}_1.log")));

            // Resubmitted on its own (FASTAD_SHARDS: the task id is the shard): it resumes the shard file.
            env["FASTAD_SHARDS"] = "2";
            string again = Submit([.. sbatch, "--array=1", script], env);
            jobs.Add(again);
            log.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: resubmitted shard 1/2 as {again}");
            WaitFor(() => !InQueue(job) && !InQueue(again), () => true, $"jobs {job} and {again} to finish", root);
            log.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: all tasks done");

            string task0 = File.ReadAllText(Path.Combine(root, $"task-{job}_0.log"));
            Assert.Contains($"shard 0/2: {PerShard} pseudoexperiments run now", task0);
            string resumed = File.ReadAllText(Path.Combine(root, $"task-{again}_1.log"));
            Assert.Contains($"shard 1/2: {PerShard - saved} pseudoexperiments run now", resumed);
            Assert.Contains($"{PerShard} in {shard1}", resumed);

            (code, output) = CliRunner.Run("merge", array);
            Assert.True(code == 0, output);
            Assert.Contains($"{Count} of {Count} pseudoexperiments from 2 files", output);
            Assert.DoesNotContain("missing", output);
            // Shard files hold no timings: the merged table, the summary and the figure are the same bytes.
            foreach (var file in new[] { "pseudo-merged.csv", "null-distribution.json", "null-distribution.svg" })
                Assert.True(File.ReadAllBytes(Path.Combine(single, file)).SequenceEqual(File.ReadAllBytes(Path.Combine(array, file))),
                    $"{file} of the Slurm array differs from the single process's");
            log.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: merged output identical");
            log.WriteLine(Logs(root));
        }
        finally
        {
            foreach (var j in jobs) Tool("scancel", [j]);
            try { Directory.Delete(root, true); }
            catch (IOException) { }
        }
    }

    /// <summary>Skips (or, with FASTAD_REQUIRE_SLURM=1, fails) unless sbatch, squeue, scancel and sinfo exist and a node is idle.</summary>
    private static void RequireSlurm()
    {
        string? reason = null;
        var missing = new[] { "sbatch", "squeue", "scancel", "sinfo" }.Where(t => Which(t) is null).ToArray();
        if (missing.Length > 0) reason = $"Slurm is not installed ({string.Join(", ", missing)} not found; Debian: slurm-wlm munge, then scripts/slurm-local.sh start)";
        else
        {
            var (code, output) = Tool("sinfo", ["-h", "-t", "idle,mix", "-o", "%n"]);
            if (code != 0) reason = $"sinfo fails (is slurmctld running? scripts/slurm-local.sh start): {output.Trim()}";
            else if (output.Trim().Length == 0) reason = "no idle Slurm node (sinfo -t idle,mix lists none; scripts/slurm-local.sh start)";
        }
        if (reason is null) return;
        if (Environment.GetEnvironmentVariable("FASTAD_REQUIRE_SLURM") == "1")
            throw new InvalidOperationException($"FASTAD_REQUIRE_SLURM=1 but {reason}");
        Skip.If(true, reason);
    }

    private static string? Which(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
        .Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);

    private static string DotnetHost()
    {
        string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        return host is not null && File.Exists(host) ? host : "dotnet";
    }

    /// <summary>Runs a Slurm client; exit code and standard output and error together.</summary>
    private static (int Code, string Output) Tool(string tool, string[] args, IDictionary<string, string?>? env = null)
    {
        var psi = new ProcessStartInfo(tool, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (env is not null)
            foreach (var (k, v) in env)
                if (v is null) psi.Environment.Remove(k);
                else psi.Environment[k] = v;
        try
        {
            using var p = Process.Start(psi)!;
            var stderr = p.StandardError.ReadToEndAsync();
            string stdout = p.StandardOutput.ReadToEnd();
            if (!p.WaitForExit(60_000))
            {
                p.Kill(true);
                return (-1, $"{tool} did not finish within 60 s");
            }
            return (p.ExitCode, stdout + stderr.Result);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, $"{tool}: {e.Message}");
        }
    }

    /// <summary>sbatch --parsable; returns the job id.</summary>
    private static string Submit(string[] args, IDictionary<string, string?> env)
    {
        var (code, output) = Tool("sbatch", args, env);
        Assert.True(code == 0, $"sbatch {string.Join(' ', args)}: {output}");
        string id = output.Trim().Split('\n')[^1].Split(';')[0].Trim();
        Assert.True(id.Length > 0 && id.All(char.IsAsciiDigit), $"sbatch printed no job id: {output}");
        return id;
    }

    /// <summary>Whether the job (or array task) is still pending or running.</summary>
    private static bool InQueue(string job)
    {
        var (code, output) = Tool("squeue", ["-h", "-j", job, "-o", "%i %T"]);
        if (code == 0) return output.Trim().Length > 0;
        // squeue forgets finished jobs after MinJobAge and then fails with "Invalid job id": gone.
        Assert.True(output.Contains("Invalid job id", StringComparison.OrdinalIgnoreCase), $"squeue -j {job}: {output}");
        return false;
    }

    /// <summary>Polls until <paramref name="done"/>; fails (with the task logs) on the timeout or when <paramref name="alive"/> turns false first.</summary>
    private static void WaitFor(Func<bool> done, Func<bool> alive, string what, string root)
    {
        var sw = Stopwatch.StartNew();
        while (!done())
        {
            if (!alive()) Assert.Fail($"gave up waiting for {what}: the job left the queue.\n{Logs(root)}");
            if (sw.Elapsed > JobTimeout) Assert.Fail($"waited {JobTimeout.TotalMinutes} min for {what}.\n{Tool("squeue", []).Output}\n{Logs(root)}");
            Thread.Sleep(100);
        }
    }

    /// <summary>Complete result lines in a shard file (the header and a line cut short by a kill not counted).</summary>
    private static int Results(string file)
    {
        if (!File.Exists(file)) return 0;
        string text;
        try
        {
            using var s = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            text = new StreamReader(s).ReadToEnd();
        }
        catch (IOException) { return 0; }
        return Math.Max(0, text.Count(c => c == '\n') - 1);
    }

    private static string Logs(string root) =>
        string.Join("\n", Directory.GetFiles(root, "task-*.log").Order(StringComparer.Ordinal).Select(f => $"== {Path.GetFileName(f)} ==\n{File.ReadAllText(f)}"));

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
    }
}
