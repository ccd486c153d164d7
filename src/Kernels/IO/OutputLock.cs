using System.Globalization;
using System.Text;

namespace FastAD.Kernels.IO;

/// <summary>
/// An exclusive, OS-level lock on an output folder (<c>FOLDER/.fastad.lock</c>) or on one output file
/// (<c>FILE.lock</c>), held from <see cref="Folder"/>/<see cref="File"/> until <see cref="Dispose"/>. The lock is the
/// operating system's (flock on Linux and macOS, a share-mode lock on Windows) on the open lock file, so it ends with
/// the process: a lock file left by a killed run blocks nothing. The holder writes its pid, host, start time and command
/// line into the lock file; a second run is refused with an <see cref="OutputInUseException"/> that names them.
/// </summary>
public sealed class OutputLock : IDisposable
{
    /// <summary>The lock file of a folder.</summary>
    public const string FolderLockName = ".fastad.lock";

    /// <summary>The lock file of `fastad merge`'s outputs in a folder (merges may run beside the shards they merge).</summary>
    public const string MergeLockName = ".fastad-merge.lock";

    private FileStream? _stream;

    private OutputLock(FileStream stream, string lockFile, string target)
    {
        _stream = stream;
        LockFile = lockFile;
        Target = target;
    }

    /// <summary>The lock file.</summary>
    public string LockFile { get; }

    /// <summary>The folder or file the lock protects, as the user named it.</summary>
    public string Target { get; }

    /// <summary>
    /// Locks the output folder <paramref name="folder"/> (created when missing). A path that is a file is an
    /// <see cref="ArgumentException"/> naming <paramref name="option"/>; a folder locked by another run an
    /// <see cref="OutputInUseException"/>.
    /// </summary>
    /// <param name="folder">The folder, as the user named it.</param>
    /// <param name="command">The holder's command line for the lock file (default: this process's arguments).</param>
    /// <param name="option">The option that named the folder, for messages.</param>
    /// <param name="lockName">The lock file's name in the folder (<see cref="FolderLockName"/>, or <see cref="MergeLockName"/> for merges).</param>
    public static OutputLock Folder(string folder, string? command = null, string option = "--out", string lockName = FolderLockName)
    {
        string full = EnsureFolder(folder, option);
        return Acquire(Path.Combine(full, lockName), folder, command, option);
    }

    /// <summary>
    /// Takes the folder's lock shared (flock LOCK_SH): any number of shared holders at once (the shards of one
    /// pseudoexperiment study, which also lock their own files), but none while a run holds it exclusively, and no
    /// exclusive holder while they run. Shared holders write nothing into the lock file; an exclusive run refused by
    /// them is told <see cref="SharedBy"/>.
    /// </summary>
    public static OutputLock SharedFolder(string folder, string option = "--out")
    {
        string full = EnsureFolder(folder, option);
        string lockFile = Path.Combine(full, FolderLockName);
        var stream = Open(lockFile, folder, option, FileAccess.Read, FileShare.ReadWrite, () => Holder(lockFile));
        return new OutputLock(stream, lockFile, folder) { _shared = true };
    }

    /// <summary>
    /// Opens <paramref name="lockFile"/> with <paramref name="share"/> (the OS lock): held by another process, an
    /// <see cref="OutputInUseException"/> naming <paramref name="holder"/>; any other failure an <see cref="IOException"/> naming the target.
    /// </summary>
    private static FileStream Open(string lockFile, string target, string option, FileAccess access, FileShare share, Func<string?> holder)
    {
        try
        {
            return new FileStream(lockFile, FileMode.OpenOrCreate, access, share);
        }
        catch (IOException e) when (IsHeldElsewhere(e))
        {
            throw new OutputInUseException(target, holder(), option, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot lock {target} ({lockFile}): {(e is UnauthorizedAccessException ? "permission denied" : e.Message)}", e);
        }
    }

    /// <summary>What an exclusive run refused by shared holders is told.</summary>
    public const string SharedBy = "`fastad cathode pseudo` shards, which share it";

    private bool _shared;

    /// <summary>Locks one output file <paramref name="file"/> through <c>FILE.lock</c> beside it (its folder is created when missing).</summary>
    public static OutputLock File(string file, string? command = null, string option = "--out")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(file);
        string full = Path.GetFullPath(file);
        EnsureFolder(Path.GetDirectoryName(full)!, option);
        return Acquire(full + ".lock", file, command, option);
    }

    /// <summary>
    /// Takes a lock through <paramref name="take"/>, waiting while another process holds it (checking twice a second,
    /// until <paramref name="cancel"/>); <paramref name="waiting"/> is called once, with the holder's refusal, when it must wait.
    /// </summary>
    public static OutputLock WaitFor(Func<OutputLock> take, CancellationToken cancel, Action<OutputInUseException>? waiting = null)
    {
        ArgumentNullException.ThrowIfNull(take);
        bool told = false;
        while (true)
        {
            try { return take(); }
            catch (OutputInUseException e)
            {
                if (!told) waiting?.Invoke(e);
                told = true;
                cancel.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(500));
                cancel.ThrowIfCancellationRequested();
            }
        }
    }

    /// <summary>
    /// Creates the output folder <paramref name="folder"/> when missing and returns its full path; a path that is a file is
    /// an <see cref="ArgumentException"/> naming <paramref name="option"/>, one that cannot be created an <see cref="IOException"/>.
    /// </summary>
    public static string EnsureFolder(string folder, string option = "--out")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        string full = Path.GetFullPath(folder);
        if (UnixFile.Kind(full) is FileKind.Regular or FileKind.Special)
            throw new ArgumentException($"{option} {folder} is a file; expected a folder (name a new or an existing folder; the outputs are written into it).");
        try
        {
            Directory.CreateDirectory(full);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A file on the way (OUT/sub where OUT is a file) or no permission.
            throw new IOException($"cannot create the {option} folder {folder}: {(e is UnauthorizedAccessException ? "permission denied" : e.Message)}", e);
        }
        return full;
    }

    private static OutputLock Acquire(string lockFile, string target, string? command, string option)
    {
        // No live holder described in the file: shared holders, which write nothing (the file is emptied when an
        // exclusive holder ends; after a kill its pid is dead).
        var stream = Open(lockFile, target, option, FileAccess.ReadWrite, FileShare.None, () => Holder(lockFile, liveOnly: true) ?? SharedBy);
        try
        {
            var text = Encoding.UTF8.GetBytes(Describe(command) + "\n");
            stream.SetLength(0);
            stream.Write(text);
            stream.Flush();
        }
        catch (IOException)
        {
            // The lock holds without the description (a full disk): a refused run then names no holder.
        }
        return new OutputLock(stream, lockFile, target);
    }

    /// <summary>The holder's line: pid, host, start time (UTC) and command line.</summary>
    private static string Describe(string? command)
    {
        string since = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        command ??= CommandLine(Environment.GetCommandLineArgs().Skip(1));
        return $"pid={Environment.ProcessId}\thost={Environment.MachineName}\tsince={since}\tcommand={command.Replace('\t', ' ').Replace('\n', ' ')}";
    }

    /// <summary>"fastad ARGS…" with arguments holding blanks quoted.</summary>
    public static string CommandLine(IEnumerable<string> args) =>
        string.Join(' ', new[] { "fastad" }.Concat(args.Select(a => a.Length == 0 || a.Any(char.IsWhiteSpace) ? $"'{a}'" : a)));

    /// <summary>"pid 1234 on host, `fastad cathode --out OUT`, since 10:02:03" from a lock file, or null when unreadable.</summary>
    private static string? Holder(string lockFile, bool liveOnly = false)
    {
        var bytes = UnixFile.ReadIgnoringLocks(lockFile);
        if (bytes is null || bytes.Length == 0) return null;
        var fields = Encoding.UTF8.GetString(bytes).Split('\n')[0].Split('\t')
            .Select(f => f.Split('=', 2)).Where(kv => kv.Length == 2).GroupBy(kv => kv[0]).ToDictionary(g => g.Key, g => g.First()[1]);
        if (!fields.TryGetValue("pid", out var pid)) return null;
        if (liveOnly && fields.GetValueOrDefault("host") == Environment.MachineName && int.TryParse(pid, out int id) && !Alive(id)) return null;
        var parts = new List<string> { $"pid {pid}{(fields.TryGetValue("host", out var host) ? $" on {host}" : "")}" };
        if (fields.TryGetValue("command", out var command)) parts.Add($"`{command}`");
        if (fields.TryGetValue("since", out var since))
            parts.Add(DateTime.TryParse(since, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t)
                ? $"since {(t.Date == DateTime.UtcNow.Date ? t.ToString("HH:mm:ss", CultureInfo.InvariantCulture) : t.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture))} UTC"
                : $"since {since}");
        return string.Join(", ", parts);
    }

    private static bool Alive(int pid)
    {
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>An open refused because another open file holds the lock (EWOULDBLOCK from flock; a sharing violation on Windows).</summary>
    private static bool IsHeldElsewhere(IOException e)
    {
        const int Eagain = 11, EagainBsd = 35, SharingViolation = unchecked((int)0x80070020), LockViolation = unchecked((int)0x80070021);
        return e.HResult is SharingViolation or LockViolation || (!OperatingSystem.IsWindows() && e.HResult == (OperatingSystem.IsLinux() ? Eagain : EagainBsd));
    }

    /// <summary>Releases the lock (the lock file stays; it blocks nothing once closed).</summary>
    public void Dispose()
    {
        var s = Interlocked.Exchange(ref _stream, null);
        if (s is null) return;
        // An exclusive holder empties its description, so a later refusal never names a finished run.
        if (!_shared)
            try { s.SetLength(0); }
            catch (IOException) { }
        s.Dispose();
    }
}

/// <summary>An output folder or file is locked by another running fastad; the message names the holder.</summary>
public sealed class OutputInUseException : IOException
{
    internal OutputInUseException(string target, string? holder, string option, Exception inner)
        : base($"{target} is in use by another fastad run ({holder ?? "its pid, host and command line could not be read"}); wait for it or use another {option}", inner)
    {
        Target = target;
        Holder = holder;
    }

    /// <summary>The locked folder or file.</summary>
    public string Target { get; }

    /// <summary>Who holds it (pid, host, command line and start), or null when that could not be read.</summary>
    public string? Holder { get; }
}
