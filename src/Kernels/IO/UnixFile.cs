using System.Runtime.InteropServices;
using System.Text;

namespace FastAD.Kernels.IO;

/// <summary>What a path names once every symbolic link is followed.</summary>
internal enum FileKind
{
    /// <summary>Nothing there (or a dangling link).</summary>
    Missing,
    /// <summary>A regular file.</summary>
    Regular,
    /// <summary>A folder.</summary>
    Directory,
    /// <summary>Something that is neither: a character or block device (/dev/null, /dev/full, a tty), a FIFO, a socket.</summary>
    Special,
}

/// <summary>
/// The few POSIX calls .NET does not expose: the type of a file (statx, which has one layout on every Linux
/// architecture) and reading a file that another process holds an exclusive lock on (.NET's FileStream takes a shared
/// flock on open, which that lock refuses). Where the calls are missing (not Linux, or an old C library) the managed
/// answers stand in.
/// </summary>
internal static unsafe class UnixFile
{
    private const int AtFdCwd = -100, StatxType = 0x1, SIfMt = 0xF000, SIfReg = 0x8000, SIfDir = 0x4000;

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int dirfd, byte* path, int flags, uint mask, byte* buffer);

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open(byte* path, int flags);

    [DllImport("libc", EntryPoint = "read", SetLastError = true)]
    private static extern nint Read(int fd, byte* buffer, nint count);

    [DllImport("libc", EntryPoint = "close")]
    private static extern int Close(int fd);

    private static bool _noStatx, _noRead;

    /// <summary>What <paramref name="path"/> is, following symbolic links.</summary>
    public static FileKind Kind(string path)
    {
        if (OperatingSystem.IsLinux() && !_noStatx)
        {
            try
            {
                var name = Encoding.UTF8.GetBytes(path + "\0");
                byte* buffer = stackalloc byte[256];
                fixed (byte* p = name)
                {
                    if (Statx(AtFdCwd, p, 0, StatxType, buffer) == 0)
                    {
                        int mode = *(ushort*)(buffer + 28) & SIfMt;
                        return mode == SIfReg ? FileKind.Regular : mode == SIfDir ? FileKind.Directory : FileKind.Special;
                    }
                }
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                _noStatx = true;
            }
        }
        if (Directory.Exists(path)) return FileKind.Directory;
        if (!File.Exists(path)) return FileKind.Missing;
        // Without statx: the device and process folders hold the special files people name.
        string full = Path.GetFullPath(path);
        return full.StartsWith("/dev/", StringComparison.Ordinal) || full.StartsWith("/proc/", StringComparison.Ordinal) ? FileKind.Special : FileKind.Regular;
    }

    /// <summary>The first <paramref name="max"/> bytes of a file, ignoring advisory locks; null when it cannot be read.</summary>
    public static byte[]? ReadIgnoringLocks(string path, int max = 4096)
    {
        if (OperatingSystem.IsWindows() || _noRead) return null;
        try
        {
            var name = Encoding.UTF8.GetBytes(path + "\0");
            int fd;
            fixed (byte* p = name) fd = Open(p, 0);
            if (fd < 0) return null;
            try
            {
                var bytes = new byte[max];
                int total = 0;
                fixed (byte* b = bytes)
                {
                    while (total < max)
                    {
                        nint n = Read(fd, b + total, max - total);
                        if (n <= 0) break;
                        total += (int)n;
                    }
                }
                return bytes[..total];
            }
            finally
            {
                Close(fd);
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            _noRead = true;
            return null;
        }
    }
}
