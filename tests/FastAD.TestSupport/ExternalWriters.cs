using System.Collections.Concurrent;
using System.Diagnostics;
using Xunit;

namespace FastAD.TestSupport;

/// <summary>
/// The real tools that write the files the format cross-checks read: Debian's python3 with h5py, pandas and PyTables
/// (HDF5), and node with the npm packages pinned in tests/writers (Parquet through parquet-wasm, compressed Arrow IPC
/// through apache-arrow). A missing tool skips the test, saying which and how to install it; with
/// FASTAD_REQUIRE_WRITERS=1 (set by .ci/run once it installed them) a missing tool fails it instead.
/// </summary>
public static class ExternalWriters
{
    private const string Python3 = "/usr/bin/python3";
    private static readonly ConcurrentDictionary<string, string?> Missing = new();

    private static bool Required => Environment.GetEnvironmentVariable("FASTAD_REQUIRE_WRITERS") == "1";

    private static void SkipUnless(string? missing)
    {
        if (missing is null) return;
        Assert.False(Required, $"FASTAD_REQUIRE_WRITERS=1 but {missing}");
        Skip.If(true, missing);
    }

    /// <summary>Runs <paramref name="script"/> with Debian's python3; skips unless it can import <paramref name="modules"/>.</summary>
    public static string Python(string script, string[] modules, params string[] args)
    {
        string imports = string.Join(", ", modules);
        SkipUnless(Missing.GetOrAdd("py:" + imports, _ =>
        {
            if (!File.Exists(Python3)) return $"{Python3} is not installed";
            var (code, _, error) = Run(Python3, ["-c", $"import {imports}"]);
            return code == 0 ? null : $"{Python3} cannot import {imports} (apt-get install python3-h5py python3-pandas python3-tables): {error.Trim().Split('\n')[^1]}";
        }));
        var (exit, output, stderr) = Run(Python3, ["-c", script, .. args]);
        Assert.True(exit == 0, $"python3 failed:\n{stderr}");
        return output;
    }

    /// <summary>The folder with the node writer script and its pinned npm packages.</summary>
    public static string NodeFolder => Path.Combine(Layering.RepositoryRoot(), "tests", "writers");

    /// <summary>Runs tests/writers/<paramref name="script"/> with node; skips unless node and the pinned packages are installed.</summary>
    public static string Node(string script, params string[] args)
    {
        SkipUnless(Missing.GetOrAdd("node", _ =>
        {
            var (code, _, _) = Run("node", ["--version"]);
            if (code != 0) return "node is not installed";
            return Directory.Exists(Path.Combine(NodeFolder, "node_modules", "parquet-wasm")) && Directory.Exists(Path.Combine(NodeFolder, "node_modules", "apache-arrow"))
                ? null : $"the npm packages of {NodeFolder} are not installed (npm ci --prefix tests/writers)";
        }));
        var (exit, output, stderr) = Run("node", [Path.Combine(NodeFolder, script), .. args]);
        Assert.True(exit == 0, $"node {script} failed:\n{stderr}");
        return output;
    }

    /// <summary>Runs a program; a program that is not there exits -1.</summary>
    public static (int Code, string Output, string Error) Run(string program, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(psi)!;
            var error = p.StandardError.ReadToEndAsync();
            string output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, output, error.Result);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, "", e.Message);
        }
    }
}
