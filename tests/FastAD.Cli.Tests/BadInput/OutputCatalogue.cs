using System.Diagnostics;
using FastAD.Kernels.IO;
using FastAD.TestSupport;
using Xunit;

namespace FastAD.Cli.Tests.BadInput;

/// <summary>
/// Bad-input catalogue: output paths (issue 14, items 2, 3 and 7): an --out that is a file, a full device, and a folder or
/// shard file another fastad process is writing. The lock cases start the built fastad (fastad.dll beside the tests) as a
/// second process that takes the lock and then waits, without computing, on a FIFO given as --data.
/// </summary>
public sealed class OutputCatalogue() : TempFolderTests("fastad-o-")
{
    // Short names: the refusals name two paths and must fit the test console's 240 columns unwrapped.
    private string AFile()
    {
        string file = Path.Combine(Folder, "results.txt");
        File.WriteAllText(file, "keep me");
        return file;
    }

    [Theory]
    [InlineData("cathode")]
    [InlineData("conrad")]
    [InlineData("simad")]
    public void AnOutThatIsAFileIsRefusedAsNotAFolder(string command)
    {
        string file = AFile();
        Refusal.Expect([command, "--generate", "--preset", "quick", "--out", file], $"--out {file} is a file; expected a folder (");
        Assert.Equal("keep me", File.ReadAllText(file));
    }

    [Fact]
    public void PseudoAndMergeRefuseAnOutThatIsAFile()
    {
        string file = AFile();
        Refusal.Expect(["cathode", "pseudo", "--generate", "--preset", "quick", "--n", "2", "--out", file], $"--out {file} is a file; expected a folder (");
        Refusal.Expect(["merge", Folder, "--out", file], $"--out {file} is a file; expected a folder (");
        Assert.Equal("keep me", File.ReadAllText(file));
    }

    [SkippableFact]
    public void JsonToDevFullEndsInOneLineNamingIt()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && File.Exists("/dev/full"), "Linux only");
        Refusal.Expect(["bumphunt", "--masses", Path.Combine(ReferenceData.Folder, "cut_masses.csv"), "--where", "selection=os_cathode,fpr=1", "--device", "cpu", "--json", "/dev/full"],
            "error: cannot write /dev/full: no space left on device");
        Assert.Equal("character special file", Stat("%F", "/dev/full"));
    }

    [SkippableFact]
    public void AFolderAnotherProcessWritesIsRefusedNamingItAndAKilledHolderBlocksNothing()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the holder is found through /proc/locks");
        string outDir = Path.Combine(Folder, "run");
        using var holder = Holder(["cathode", "--data", Fifo(), "--out", outDir, "--quiet"]);
        try
        {
            Wait(holder, Path.Combine(outDir, OutputLock.FolderLockName));
        foreach (var command in new[] { "cathode", "conrad", "simad" })
            Refusal.Expect([command, "--generate", "--preset", "quick", "--out", outDir, "--quiet"],
                $"error: {outDir} is in use by another fastad run (pid {holder.Id} on {Environment.MachineName}, `fastad cathode --data ",
                $"--out {outDir} --quiet`, since ", "); wait for it or use another --out");
            // Pseudoexperiment shards share the folder, but not with a main run.
            Refusal.Expect(["cathode", "pseudo", "--generate", "--preset", "quick", "--n", "2", "--out", outDir],
                $"error: {outDir} is in use by another fastad run (pid {holder.Id} ");
        }
        finally
        {
            // kill -9: the OS lock dies with the process; the lock file it leaves blocks nothing.
            End(holder);
        }
        Assert.True(File.Exists(Path.Combine(outDir, OutputLock.FolderLockName)));
        using var next = OutputLock.Folder(outDir, "fastad cathode --out run");
    }

    [SkippableFact]
    public void AShardAnotherProcessWritesIsRefusedWhileOtherShardsRun()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the holder is found through /proc/locks");
        string outDir = Path.Combine(Folder, "p");
        string shard = Path.Combine(outDir, "pseudo", "bootstrap-bdt-shard-0-of-2.jsonl");
        using var holder = Holder(["cathode", "pseudo", "--data", Fifo(), "--n", "4", "--shard", "0/2", "--out", outDir]);
        try
        {
            Wait(holder, shard + ".lock");
        Refusal.Expect(["cathode", "pseudo", "--generate", "--preset", "quick", "--n", "4", "--shard", "0/2", "--out", outDir],
            $"error: {shard} is in use by another fastad run (pid {holder.Id} ", "`fastad cathode pseudo --data ", "wait for it or use another --out");
        // The other shard of the study takes its own lock beside it.
        using (OutputLock.SharedFolder(outDir))
        using (OutputLock.File(Path.Combine(outDir, "pseudo", "bootstrap-bdt-shard-1-of-2.jsonl"), "fastad cathode pseudo --shard 1/2")) { }
            // A main run would replace the models the shards read.
            Refusal.Expect(["cathode", "--generate", "--preset", "quick", "--out", outDir, "--quiet"],
                $"error: {outDir} is in use by another fastad run (`fastad cathode pseudo` shards, which share it); wait for it or use another --out");
        }
        finally
        {
            End(holder);
        }
        using var next = OutputLock.File(shard, "fastad cathode pseudo --shard 0/2");
    }

    [SkippableFact]
    public void AMergeIntoAFolderAnotherMergeWritesIsRefused()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the holder is found through /proc/locks");
        string outDir = Path.Combine(Folder, "m");
        // The holder reads a FIFO as its shard file and waits there, holding the merge lock of its --out.
        using var holder = Holder(["merge", Fifo(".jsonl"), "--out", outDir]);
        try
        {
            Wait(holder, Path.Combine(outDir, OutputLock.MergeLockName));
            Refusal.Expect(["merge", Folder, "--out", outDir], $"error: {outDir} is in use by another fastad run (pid {holder.Id} ", "`fastad merge ");
            // A merge does not stop a main run in the same folder (its files and manifest are its own).
            using (OutputLock.Folder(outDir, "fastad cathode --out m")) { }
        }
        finally
        {
            End(holder);
        }
    }

    /// <summary>SIGKILL (Process.Kill on Unix), then waits for the exit.</summary>
    private static void End(Process holder)
    {
        if (!holder.HasExited) holder.Kill();
        holder.WaitForExit();
    }

    /// <summary>A named pipe nobody writes: a fastad reading it as --data waits there, holding its output locks.</summary>
    private string Fifo(string extension = ".csv")
    {
        string fifo = Path.Combine(Folder, $"{Guid.NewGuid():N}"[..4] + extension);
        using var p = Process.Start(new ProcessStartInfo("mkfifo", [fifo]))!;
        p.WaitForExit();
        Skip.IfNot(p.ExitCode == 0, "mkfifo failed");
        return fifo;
    }

    /// <summary>The built fastad in a process of its own.</summary>
    private static Process Holder(string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "fastad.dll");
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var psi = new ProcessStartInfo(dotnet, [dll, .. args]) { RedirectStandardOutput = true, RedirectStandardError = true };
        return Process.Start(psi)!;
    }

    /// <summary>Waits until <paramref name="holder"/> holds an flock on <paramref name="lockFile"/> (its line in /proc/locks).</summary>
    private static void Wait(Process holder, string lockFile)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (holder.HasExited) Assert.Fail($"the holder exited {holder.ExitCode}: {holder.StandardError.ReadToEnd()}");
            if (File.Exists(lockFile))
            {
                string inode = Inode(lockFile);
                if (File.ReadLines("/proc/locks").Any(l => l.Contains(" FLOCK ") && l.Contains($" {holder.Id} ") && l.Contains($":{inode} ")))
                {
                    // The holder writes its description right after taking the lock.
                    Thread.Sleep(200);
                    return;
                }
            }
            Thread.Sleep(50);
        }
        Assert.Fail($"{lockFile} was not locked by pid {holder.Id} within a minute");
    }

    private static string Inode(string path) => Stat("%i", path);

    private static string Stat(string format, string path)
    {
        using var p = Process.Start(new ProcessStartInfo("stat", ["-c", format, path]) { RedirectStandardOutput = true })!;
        string text = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        return text;
    }
}
