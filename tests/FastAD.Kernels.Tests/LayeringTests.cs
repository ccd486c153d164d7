using FastAD.TestSupport;
using Xunit;

namespace FastAD.Kernels.Tests;

public class LayeringTests
{
    [Fact]
    public void ReferencesStayWithinTheLayer() => Layering.AssertLayer("Kernels");
}
