using System.Diagnostics;
using FastAD.Kernels.IO;
using FastAD.TestSupport;
using Xunit;

namespace FastAD.Kernels.Tests.IO;

/// <summary>AtomicFile: temporary file and rename for regular files only; links followed; devices, FIFOs and /dev/stdout written directly (issue 14, item 2).</summary>
public sealed class AtomicFileTests() : TempFolderTests("fastad-atomic-")
{
    private string[] TemporaryFiles(string dir) => Directory.GetFiles(dir, "*.tmp", SearchOption.AllDirectories);

    [SkippableFact]
    public void ALinkChainKeepsItsLinksAndItsFinalTargetGetsTheContent()
    {
        Skip.If(OperatingSystem.IsWindows(), "symbolic links need privileges on Windows");
        string real = Path.Combine(Folder, "data", "real.json");
        Directory.CreateDirectory(Path.GetDirectoryName(real)!);
        File.WriteAllText(real, "old");
        string first = Path.Combine(Folder, "first.json"), second = Path.Combine(Folder, "links", "second.json");
        Directory.CreateDirectory(Path.GetDirectoryName(second)!);
        File.CreateSymbolicLink(first, "data/real.json");     // relative
        File.CreateSymbolicLink(second, first);               // absolute, a chain of two
        AtomicFile.WriteAllText(second, "new");
        Assert.Equal("new", File.ReadAllText(real));
        Assert.Equal(first, new FileInfo(second).LinkTarget);
        Assert.Equal("data/real.json", new FileInfo(first).LinkTarget);
        Assert.Empty(TemporaryFiles(Folder));

        // A dangling link gets its target created.
        string dangling = Path.Combine(Folder, "dangling.json");
        File.CreateSymbolicLink(dangling, "data/later.json");
        AtomicFile.WriteAllText(dangling, "made");
        Assert.Equal("made", File.ReadAllText(Path.Combine(Folder, "data", "later.json")));
        Assert.NotNull(new FileInfo(dangling).LinkTarget);
    }

    [SkippableFact]
    public void ALinkLoopIsAnErrorNamingThePath()
    {
        Skip.If(OperatingSystem.IsWindows(), "symbolic links need privileges on Windows");
        string a = Path.Combine(Folder, "a"), b = Path.Combine(Folder, "b");
        File.CreateSymbolicLink(a, b);
        File.CreateSymbolicLink(b, a);
        var e = Assert.Throws<IOException>(() => AtomicFile.WriteAllText(a, "x"));
        Assert.Equal($"cannot write {a}: too many levels of symbolic links", e.Message);
    }

    [SkippableFact]
    public void DevNullIsWrittenDirectlyAndStaysADevice()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && File.Exists("/dev/null"), "Linux only");
        AtomicFile.WriteAllText("/dev/null", "discarded");
        Assert.Equal(FileKind.Special, UnixFile.Kind("/dev/null"));
        Assert.Empty(Directory.GetFiles("/dev", ".null.*"));
    }

    [SkippableFact]
    public void ACharacterDeviceNodeIsNotReplacedByARegularFile()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Linux only");
        // A private copy of /dev/null (root only): replacing it by mistake harms nothing.
        string node = Path.Combine(Folder, "null");
        Skip.IfNot(Run("mknod", node, "c", "1", "3") == 0, "mknod needs root");
        AtomicFile.WriteAllText(node, "discarded");
        Assert.Equal(FileKind.Special, UnixFile.Kind(node));
        Assert.Equal(0, new FileInfo(node).Length);
        Assert.Empty(TemporaryFiles(Folder));
    }

    [SkippableFact]
    public void AFifoIsWrittenDirectlyToItsReader()
    {
        Skip.IfNot(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "POSIX only");
        string fifo = Path.Combine(Folder, "pipe");
        Skip.IfNot(Run("mkfifo", fifo) == 0, "mkfifo is missing");
        var reader = Task.Run(() => File.ReadAllText(fifo));
        AtomicFile.WriteAllText(fifo, "through the pipe");
        Assert.True(reader.Wait(TimeSpan.FromSeconds(30)));
        Assert.Equal("through the pipe", reader.Result);
        Assert.Equal(FileKind.Special, UnixFile.Kind(fifo));
        Assert.Empty(TemporaryFiles(Folder));
    }

    [SkippableFact]
    public void DevFullEndsInOneLineNamingTheTarget()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && File.Exists("/dev/full"), "Linux only");
        var e = Assert.Throws<IOException>(() => AtomicFile.WriteAllText("/dev/full", new string('x', 100)));
        Assert.Equal("cannot write /dev/full: no space left on device", e.Message);
        Assert.Equal(FileKind.Special, UnixFile.Kind("/dev/full"));
        // Through a link too: the message names what the user gave.
        string link = Path.Combine(Folder, "full.json");
        File.CreateSymbolicLink(link, "/dev/full");
        Assert.Equal($"cannot write {link}: no space left on device", Assert.Throws<IOException>(() => AtomicFile.WriteAllText(link, "x")).Message);
        Assert.NotNull(new FileInfo(link).LinkTarget);
    }

    [Fact]
    public void WriteErrorsNameTheTargetNeverTheTemporaryFile()
    {
        string file = Path.Combine(Folder, "plain.txt");
        File.WriteAllText(file, "x");
        // The folder is a file.
        string under = Path.Combine(file, "out.json");
        var e = Assert.Throws<IOException>(() => AtomicFile.WriteAllText(under, "x"));
        Assert.StartsWith($"cannot write {under}: ", e.Message);
        Assert.DoesNotContain(".tmp", e.Message);
        // The target is a folder.
        Assert.Equal($"cannot write {Folder}: it is a folder", Assert.Throws<IOException>(() => AtomicFile.WriteAllText(Folder, "x")).Message);
        // A failure while writing: named as the target, and the old content kept.
        e = Assert.Throws<IOException>(() => AtomicFile.Write(file, s => { s.WriteByte(1); throw new IOException("device went away"); }));
        Assert.Equal($"cannot write {file}: device went away", e.Message);
        Assert.Equal("x", File.ReadAllText(file));
        // A staged file's errors name where it goes.
        e = Assert.Throws<IOException>(() => AtomicFile.WriteAllText(under, "x", "out/report.md"));
        Assert.StartsWith("cannot write out/report.md: ", e.Message);
        Assert.Empty(TemporaryFiles(Folder));
    }

    [SkippableFact]
    public void PathsThroughProcAreWrittenDirectlyAndAppended()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Linux only");
        // /dev/stdout is /proc/self/fd/1: a pipe, a terminal or the file the shell opened. Through /proc the stream itself is
        // written, never a temporary file renamed over the link's target (which would cut off the shell's output).
        Assert.Equal("/proc/self/fd/1", new FileInfo("/dev/stdout").LinkTarget);
        string redirected = Path.Combine(Folder, "stdout.txt");
        using var held = new FileStream(redirected, FileMode.Create, FileAccess.ReadWrite, FileShare.ReadWrite);
        held.Write("before\n"u8);
        held.Flush();
        long before = new FileInfo(redirected).Length;
        AtomicFile.WriteAllText($"/proc/self/fd/{held.SafeFileHandle.DangerousGetHandle()}", "after\n");
        Assert.Equal("before\nafter\n", File.ReadAllText(redirected));
        Assert.Equal(7, before);
        Assert.Empty(TemporaryFiles(Folder));
    }

    private static int Run(string tool, params string[] args)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(tool, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            p.WaitForExit();
            return p.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return -1;
        }
    }
}
