using FastAD.TestSupport;
using Xunit;

namespace FastAD.Cli.Tests;

public class LayeringTests
{
    [Fact]
    public void ReferencesStayWithinTheLayer() => Layering.AssertLayer("Cli");
}
