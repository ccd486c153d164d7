using FastAD.TestSupport;
using Xunit;

namespace FastAD.Flows.Tests;

public class LayeringTests
{
    [Fact]
    public void ReferencesStayWithinTheLayer() => Layering.AssertLayer("Flows");
}
