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
}
