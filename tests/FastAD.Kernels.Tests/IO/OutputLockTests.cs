using FastAD.Kernels.IO;
using Xunit;

namespace FastAD.Kernels.Tests.IO;

/// <summary>OutputLock in one process (two opens of one lock file conflict like two processes); across processes: FastAD.Cli.Tests' OutputCatalogue.</summary>
public sealed class OutputLockTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"fastad-lock-{Environment.ProcessId}-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void ASecondLockOnAFolderIsRefusedNamingTheHolderUntilTheFirstEnds()
    {
        string outDir = Path.Combine(_dir, "out");
        using (var held = OutputLock.Folder(outDir, "fastad cathode --out out"))
        {
            Assert.True(File.Exists(Path.Combine(outDir, OutputLock.FolderLockName)));
            var e = Assert.Throws<OutputInUseException>(() => OutputLock.Folder(outDir, "fastad conrad --out out"));
            Assert.StartsWith($"{outDir} is in use by another fastad run (", e.Message);
            if (!OperatingSystem.IsWindows())
                Assert.Contains($"(pid {Environment.ProcessId} on {Environment.MachineName}, `fastad cathode --out out`, since ", e.Message);
            Assert.EndsWith("); wait for it or use another --out", e.Message);
        }
        // Released: the lock file stays and blocks nothing.
        Assert.True(File.Exists(Path.Combine(outDir, OutputLock.FolderLockName)));
        using var again = OutputLock.Folder(outDir, "fastad conrad --out out");
    }

    [Fact]
    public void FileLocksAreOnePerFile()
    {
        string a = Path.Combine(_dir, "pseudo", "shard-0-of-2.jsonl"), b = Path.Combine(_dir, "pseudo", "shard-1-of-2.jsonl");
        using var first = OutputLock.File(a, "fastad cathode pseudo --shard 0/2");
        using var other = OutputLock.File(b, "fastad cathode pseudo --shard 1/2");
        var e = Assert.Throws<OutputInUseException>(() => OutputLock.File(a, "fastad cathode pseudo --shard 0/2"));
        Assert.StartsWith($"{a} is in use by another fastad run (", e.Message);
        Assert.True(File.Exists(a + ".lock"));
        Assert.False(File.Exists(a));
    }

    [Fact]
    public void SharedHoldersRunTogetherButNotWithAnExclusiveOne()
    {
        string outDir = Path.Combine(_dir, "study");
        using (var first = OutputLock.SharedFolder(outDir))
        using (var second = OutputLock.SharedFolder(outDir))
        {
            var e = Assert.Throws<OutputInUseException>(() => OutputLock.Folder(outDir, "fastad cathode --out study"));
            Assert.Equal($"{outDir} is in use by another fastad run ({OutputLock.SharedBy}); wait for it or use another --out", e.Message);
            // A merge has its own lock file.
            using var merge = OutputLock.Folder(outDir, "fastad merge study", lockName: OutputLock.MergeLockName);
        }
        using (OutputLock.Folder(outDir, "fastad cathode --out study"))
        {
            var e = Assert.Throws<OutputInUseException>(() => OutputLock.SharedFolder(outDir));
            if (!OperatingSystem.IsWindows()) Assert.Contains("`fastad cathode --out study`", e.Message);
        }
        // The exclusive holder's description goes with it: shared holders now are not confused with it.
        Assert.Equal(0, new FileInfo(Path.Combine(outDir, OutputLock.FolderLockName)).Length);
        using var shared = OutputLock.SharedFolder(outDir);
    }

    [Fact]
    public void AFolderThatIsAFileIsRefused()
    {
        Directory.CreateDirectory(_dir);
        string file = Path.Combine(_dir, "results.txt");
        File.WriteAllText(file, "x");
        var e = Assert.Throws<ArgumentException>(() => OutputLock.Folder(file));
        Assert.StartsWith($"--out {file} is a file; expected a folder (", e.Message);
        Assert.Equal("x", File.ReadAllText(file));
    }

    [Fact]
    public void TheCommandLineQuotesArgumentsWithBlanks() =>
        Assert.Equal("fastad cathode --out 'my runs/a' ''", OutputLock.CommandLine(["cathode", "--out", "my runs/a", ""]));
}
