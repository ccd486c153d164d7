using System.Diagnostics;
using Xunit;

namespace FastAD.Cli.Tests.BadInput;

/// <summary>Bad-input catalogue: conventions of the command line (issue 14, item 8).</summary>
public sealed class ConventionCatalogue
{
    [Fact]
    public void AnUnknownOptionExitsTwoOnStandardErrorAndPointsToHelp() =>
        Refusal.Expect(["toys", "--bogus"], "'--bogus'", "fastad toys --help");

    [Fact]
    public void AnOptionOfTheWrongTypeExitsTwo() =>
        Refusal.Expect(["toys", "--n", "many"], "many", "--n");

    [Fact]
    public void AMissingInputFileIsNamedOnStandardError() =>
        Refusal.Expect(["bumphunt", "--masses", "/nonexistent/masses.csv"], "/nonexistent/masses.csv");
    /// <summary>
    /// A standard output that is full or closed (item 6): the built fastad in a process of its own, its standard output
    /// redirected by the shell. It must exit 2 with one line naming standard output, and no trace.
    /// </summary>
    [SkippableTheory]
    [InlineData("> /dev/full")]
    [InlineData(">&-")]
    public void AFullOrClosedStandardOutputEndsWithOneLineAndExitTwo(string redirection)
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "needs /dev/full and bash");
        string dll = Path.Combine(AppContext.BaseDirectory, "fastad.dll");
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var psi = new ProcessStartInfo("bash", ["-c", $"exec \"$0\" \"$1\" toys --n 200 {redirection}", dotnet, dll]) { RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        string error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 2, $"exit {p.ExitCode}; stderr:\n{error}");
        var errors = error.Split('\n').Where(l => l.StartsWith("error: ", StringComparison.Ordinal)).ToArray();
        Assert.True(errors.Length == 1, error);
        Assert.StartsWith("error: cannot write to standard output", errors[0]);
        Assert.DoesNotContain("   at ", error);
        Assert.DoesNotContain("Exception", error);
    }
}
