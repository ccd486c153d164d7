using FastAD.Flows;
using FastAD.Kernels;
using Xunit;

namespace FastAD.Flows.Tests;

/// <summary>The MAF kernels share their size checks through <c>#include "maf_sizes.cl"</c>, expanded by KernelSources.</summary>
public class KernelSourceIncludeTests
{
    [Theory]
    [InlineData("maf.cl")]
    [InlineData("maf_train.cl")]
    public void IncludesAreExpandedOnceKeepingLineNumbers(string name)
    {
        var assembly = typeof(KernelFlowEvaluator).Assembly;
        string raw;
        using (var stream = assembly.GetManifestResourceStream("FastAD.Flows.Sources." + name)!)
        using (var reader = new StreamReader(stream))
            raw = reader.ReadToEnd();
        var expanded = KernelSources.Get(assembly, name);
        var shared = KernelSources.Get(assembly, "maf_sizes.cl");
        Assert.Contains("#include \"maf_sizes.cl\"", raw);
        Assert.DoesNotContain("#include", expanded);
        Assert.Equal(1, CountOf(expanded, "#error MAF_D must be defined"));
        Assert.Contains(shared, expanded);
        // After the included text a #line directive gives the next line its number in the including file.
        var rawLines = raw.Split('\n');
        var lines = expanded.Split('\n');
        int at = Array.FindIndex(lines, l => l.StartsWith("#line ", StringComparison.Ordinal));
        int number = int.Parse(lines[at]["#line ".Length..]);
        Assert.Equal(rawLines[number - 1], lines[at + 1]);
        Assert.StartsWith("#include", rawLines[number - 2]);
    }

    private static int CountOf(string text, string part)
    {
        int count = 0;
        for (int i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + 1, StringComparison.Ordinal)) count++;
        return count;
    }
}
