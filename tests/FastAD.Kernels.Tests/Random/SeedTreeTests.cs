using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using FastAD.Kernels.Random;
using Xunit;

namespace FastAD.Kernels.Tests.Random;

public class SeedTreeTests
{
    [Fact]
    public void AChildIsTheSha256OfItsParentsSeedAndItsName()
    {
        // Written out independently of the implementation: SHA-256("\x05\0\0\0\0\0\0\0" + "cathode"), first 8 bytes LE.
        var input = new byte[8 + 7];
        input[0] = 5;
        Encoding.UTF8.GetBytes("cathode", input.AsSpan(8));
        ulong expected = BinaryPrimitives.ReadUInt64LittleEndian(SHA256.HashData(input));
        Assert.Equal(expected, SeedTree.Of(5)["cathode"].Seed);
        Assert.Equal(5UL, SeedTree.Of(5).Seed);
    }

    [Fact]
    public void PathsAreNamedAndIndependent()
    {
        var root = SeedTree.Of(42);
        var a = root["cathode"]["os"]["flows"][3];
        Assert.Equal("cathode/os/flows/3", a.Path);
        Assert.Equal(a, root.At("cathode/os/flows/3"));
        Assert.Equal(a.Seed, root.At("cathode/os/flows")[3].Seed);
        // Siblings, cousins and other roots differ; asking for other streams first changes nothing.
        var seeds = new[] { a, root.At("cathode/os/flows/4"), root.At("cathode/ss/flows/3"), SeedTree.Of(43).At("cathode/os/flows/3"), root.At("cathode/os/flows") }
            .Select(n => n.Seed).ToArray();
        Assert.Equal(seeds.Length, seeds.Distinct().Count());
        Assert.Equal(a.Seed, SeedTree.Of(42).At("cathode/os/flows/3").Seed);
        Assert.Throws<ArgumentException>(() => root["a/b"]);
        Assert.Throws<ArgumentException>(() => root[""]);
    }
}
