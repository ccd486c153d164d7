using FastAD.TestSupport;
using Xunit;

namespace FastAD.Analyses.Tests;

public class LayeringTests
{
    [Fact]
    public void ReferencesStayWithinTheLayer() => Layering.AssertLayer("Analyses");
}
