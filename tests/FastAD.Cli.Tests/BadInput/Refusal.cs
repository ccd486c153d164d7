using Xunit;

namespace FastAD.Cli.Tests.BadInput;

/// <summary>
/// The bad-input catalogue's one assertion: a user mistake exits 2 with a message on standard error that names the
/// thing and what was expected, prints no stack trace or exception type, and puts nothing of the error on standard output.
/// </summary>
internal static class Refusal
{
    /// <summary>Runs <paramref name="args"/> and checks the refusal; returns standard error for further checks.</summary>
    internal static string Expect(string[] args, params string[] mustContain)
    {
        var (code, output, error) = CliRunner.RunSplit(args);
        Assert.True(code == 2, $"exit {code} for `fastad {string.Join(' ', args)}`; stdout:\n{output}\nstderr:\n{error}");
        Assert.StartsWith("error: ", error);
        Assert.DoesNotContain("error:", output);
        Assert.DoesNotContain("   at ", error);
        Assert.DoesNotContain("Exception", error);
        foreach (var s in mustContain)
            Assert.True(error.Contains(s, StringComparison.Ordinal), $"stderr of `fastad {string.Join(' ', args)}` lacks \"{s}\":\n{error}");
        return error;
    }
}
