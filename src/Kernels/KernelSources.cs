using System.Collections.Concurrent;
using System.Reflection;

namespace FastAD.Kernels;

/// <summary>
/// Kernel sources embedded in the assembly, written once in FastAD's common C dialect.
/// A backend prelude maps the dialect to OpenCL C or CUDA C:
/// <list type="bullet">
/// <item><c>KERNEL</c>, <c>GLOBAL</c>, <c>LOCAL</c> (address spaces), <c>DEVFN</c> (device helper functions), <c>RESTRICT</c>;</item>
/// <item><c>GLOBAL_ID(d)</c>, <c>LOCAL_ID(d)</c>, <c>GROUP_ID(d)</c>, <c>LOCAL_SIZE(d)</c>, <c>NUM_GROUPS(d)</c> for d = 0, 1;</item>
/// <item><c>BARRIER()</c> (work-group barrier with local-memory fence);</item>
/// <item><c>u32</c>, <c>i64</c>, <c>u64</c>; <c>as_f64_bits</c>/<c>f64_from_bits</c>;</item>
/// <item><c>atomic_add_i32_local/global</c>, <c>atomic_add_f64_local/global</c>.</item>
/// </list>
/// Math uses the overloaded C names (exp, log, sqrt, tanh, ...), valid in both dialects.
/// Every source also sees <c>common.cl</c> (the Philox4x32-10 generator). A line <c>#include "name.cl"</c> is replaced
/// by that source of the same assembly (expanded here, identically for every backend), followed by a <c>#line</c>
/// directive so that compiler messages keep the including file's line numbers.
/// </summary>
public static class KernelSources
{
    private static readonly ConcurrentDictionary<string, string> Cache = new();
    private const string Prefix = "FastAD.Kernels.Sources.";

    /// <summary>Names of all embedded kernel sources.</summary>
    public static IReadOnlyList<string> Names { get; } = typeof(KernelSources).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal))
        .Select(n => n[Prefix.Length..]).Order(StringComparer.Ordinal).ToArray();

    /// <summary>Returns the text of an embedded source of this assembly (e.g. <c>matmul.cl</c>).</summary>
    public static string Get(string name) => Get(typeof(KernelSources).Assembly, name);

    /// <summary>
    /// Returns the text of a kernel source embedded in another engine's assembly, under the logical
    /// name <c>{AssemblyName}.Sources.{name}</c> (e.g. <c>FastAD.Stats.Sources.bumphunt.cl</c>).
    /// </summary>
    public static string Get(Assembly assembly, string name)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        string resource = assembly.GetName().Name + ".Sources." + name;
        return Cache.GetOrAdd(resource, r =>
        {
            using var stream = assembly.GetManifestResourceStream(r)
                ?? throw new ArgumentException($"No embedded kernel source '{name}' in {assembly.GetName().Name}.");
            using var reader = new StreamReader(stream);
            return ExpandIncludes(assembly, name, reader.ReadToEnd());
        });
    }

    private static string ExpandIncludes(Assembly assembly, string name, string text)
    {
        var lines = text.Split('\n');
        var result = new System.Text.StringBuilder(text.Length);
        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (line.StartsWith("#include \"", StringComparison.Ordinal) && line.EndsWith('"'))
            {
                string included = line["#include \"".Length..^1];
                if (included == name) throw new ArgumentException($"Kernel source '{name}' includes itself.");
                result.Append(Get(assembly, included)).Append('\n').Append("#line ").Append(i + 2).Append('\n');
            }
            else result.Append(lines[i]).Append(i < lines.Length - 1 ? "\n" : "");
        }
        return result.ToString();
    }

    /// <summary>The prelude for a backend followed by the shared device functions.</summary>
    public static string Prelude(DeviceKind kind) => kind switch
    {
        DeviceKind.OpenCL => Get("prelude_opencl.cl") + "\n" + Get("common.cl") + "\n#line 1\n",
        DeviceKind.Cuda => Get("prelude_cuda.cl") + "\n" + Get("common.cl") + "\n#line 1\n",
        _ => throw new NotSupportedException($"No kernel dialect for {kind}."),
    };
}
