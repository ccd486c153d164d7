using System.Text;

namespace FastAD.Kernels.IO;

/// <summary>
/// Writes files atomically where that is possible: the content of a regular file (or a new path) goes to a temporary
/// file in the target's folder, which is then renamed over the target. An interrupted run therefore leaves either the
/// old file or the new one, never half a file, and a failed write removes its temporary file. The target's folder is
/// created when missing.
/// <list type="bullet">
/// <item>A symbolic link (or a chain of them) is followed: the temporary file goes next to the final target and
/// replaces it, so the link stays a link and its target gets the new content.</item>
/// <item>Anything that is not a regular file — a character device (/dev/null, /dev/full, a terminal), a FIFO, a
/// socket, and every path through /proc or /dev/fd (/dev/stdout is /proc/self/fd/1) — is opened and written directly:
/// no temporary file, no rename, no flush to disk. Such a target is never replaced by a regular file.</item>
/// <item>Failures name the target, never the temporary file: "cannot write FILE: no space left on device" (an
/// <see cref="IOException"/>, also for permission errors).</item>
/// </list>
/// </summary>
public static class AtomicFile
{
    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>Symbolic links followed before giving up (Linux's limit).</summary>
    private const int MaxLinks = 40;

    /// <summary>Writes through <paramref name="write"/> into a temporary file, then renames it over <paramref name="path"/>.</summary>
    public static void Write(string path, Action<Stream> write) => Write(path, write, path);

    /// <summary>
    /// As <see cref="Write(string, Action{Stream})"/>; errors name <paramref name="shownAs"/> (for example the place a
    /// staged file will be moved to) instead of <paramref name="path"/>.
    /// </summary>
    public static void Write(string path, Action<Stream> write, string shownAs)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(write);
        ArgumentException.ThrowIfNullOrWhiteSpace(shownAs);
        var (full, target, direct) = Resolve(path, shownAs);
        if (direct)
        {
            WriteDirectly(full, write, shownAs);
            return;
        }
        string dir = Path.GetDirectoryName(target)!;
        string tmp = Path.Combine(dir, $".{Path.GetFileName(target)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            Directory.CreateDirectory(dir);
            using (var stream = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(tmp, target, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(tmp);
            throw Failure(shownAs, e, tmp, target);
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
    }

    /// <summary>Writes text as UTF-8 without a byte-order mark.</summary>
    public static void WriteAllText(string path, string text) => WriteAllText(path, text, path);

    /// <summary>Writes text as UTF-8 without a byte-order mark; errors name <paramref name="shownAs"/>.</summary>
    public static void WriteAllText(string path, string text, string shownAs) =>
        Write(path, s => { var bytes = Utf8NoBom.GetBytes(text); s.Write(bytes, 0, bytes.Length); }, shownAs);

    /// <summary>Writes bytes.</summary>
    public static void WriteAllBytes(string path, byte[] bytes) => Write(path, s => s.Write(bytes, 0, bytes.Length));

    /// <summary>
    /// Moves the finished file <paramref name="source"/> (in the destination's file system, e.g. a staging folder beside it)
    /// into place as <paramref name="destination"/> by one rename, under the same rules as <see cref="Write(string, Action{Stream})"/>:
    /// a symbolic link keeps pointing at its target, which is replaced; a non-regular destination is written directly
    /// (and <paramref name="source"/> deleted). Errors name <paramref name="destination"/>.
    /// </summary>
    public static void Replace(string source, string destination)
    {
        var (full, target, direct) = Resolve(destination, destination);
        if (direct)
        {
            WriteDirectly(full, s => { using var from = File.OpenRead(source); from.CopyTo(s); }, destination);
            TryDelete(source);
            return;
        }
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Move(source, target, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Failure(destination, e, source, target);
        }
    }

    /// <summary>
    /// Where a write to <paramref name="path"/> goes: its full path, the final target of its links (where a temporary file
    /// is renamed), and whether it is written directly (a device, FIFO or socket, or an existing file reached through
    /// /proc or /dev/fd). A folder is an error naming <paramref name="shownAs"/>.
    /// </summary>
    private static (string Full, string Target, bool Direct) Resolve(string path, string shownAs)
    {
        string full = Path.GetFullPath(path);
        var (target, throughProc) = FollowLinks(full, shownAs);
        var kind = UnixFile.Kind(full);
        if (kind == FileKind.Directory) throw new IOException($"cannot write {shownAs}: it is a folder");
        return (full, target, kind == FileKind.Special || (throughProc && kind != FileKind.Missing));
    }

    /// <summary>
    /// The final target of a chain of symbolic links (the path itself when it is none), and whether the chain passes
    /// through /proc or /dev/fd, whose links (/proc/self/fd/1 → pipe:[…]) are no paths to rename over.
    /// </summary>
    private static (string Target, bool ThroughProc) FollowLinks(string full, string shownAs)
    {
        string p = full;
        for (int hop = 0; hop <= MaxLinks; hop++)
        {
            if (p.StartsWith("/proc/", StringComparison.Ordinal) || p.StartsWith("/dev/fd/", StringComparison.Ordinal)) return (p, true);
            string? link;
            try { link = new FileInfo(p).LinkTarget; }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { link = null; }
            if (link is null) return (p, false);
            p = Path.GetFullPath(link, Path.GetDirectoryName(p)!);
        }
        throw new IOException($"cannot write {shownAs}: too many levels of symbolic links");
    }

    /// <summary>Writes into an existing non-regular file as it is (appending where it is a file reached through /proc).</summary>
    private static void WriteDirectly(string full, Action<Stream> write, string shownAs)
    {
        try
        {
            using var stream = new FileStream(full, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            write(stream);
            stream.Flush();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Failure(shownAs, e, null, full);
        }
    }

    /// <summary>"cannot write FILE: reason", FILE being what the user named, never the temporary file.</summary>
    private static IOException Failure(string shownAs, Exception e, string? tmp, string target)
    {
        const int Enospc = 28, Erofs = 30, Edquot = 122;
        const int WinDiskFull = unchecked((int)0x80070070), WinHandleDiskFull = unchecked((int)0x80070027);
        if (e is IOException { Message: var m } && m.StartsWith("cannot write ", StringComparison.Ordinal)) return (IOException)e;
        string reason = e switch
        {
            UnauthorizedAccessException => "permission denied",
            { HResult: Enospc or WinDiskFull or WinHandleDiskFull } => "no space left on device",
            { HResult: Edquot } => "disk quota exceeded",
            { HResult: Erofs } => "read-only file system",
            _ => Clean(e.Message, tmp, target, shownAs),
        };
        return new IOException($"cannot write {shownAs}: {reason}", e);
    }

    /// <summary>An exception's message with the temporary file's name replaced by the target's, its first letter lower-case.</summary>
    private static string Clean(string message, string? tmp, string target, string shownAs)
    {
        if (tmp is not null) message = message.Replace(tmp, shownAs, StringComparison.Ordinal);
        message = message.Replace($" : '{shownAs}'", "", StringComparison.Ordinal).Replace($" : '{target}'", "", StringComparison.Ordinal).TrimEnd('.');
        return message.Length > 1 && char.IsUpper(message[0]) && !char.IsUpper(message[1]) ? char.ToLowerInvariant(message[0]) + message[1..] : message;
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
