using FastAD.TestSupport;
using Xunit;

namespace FastAD.Trees.Tests;

public class LayeringTests
{
    [Fact]
    public void ReferencesStayWithinTheLayer() => Layering.AssertLayer("Trees");
}
