using FastAD.TestSupport;
using Xunit;

namespace FastAD.Stats.Tests;

public class LayeringTests
{
    [Fact]
    public void ReferencesStayWithinTheLayer() => Layering.AssertLayer("Stats");
}
