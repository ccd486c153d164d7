using FastAD.TestSupport;
using Xunit;

namespace FastAD.Data.Tests;

public class LayeringTests
{
    [Fact]
    public void ReferencesStayWithinTheLayer() => Layering.AssertLayer("Data");
}
