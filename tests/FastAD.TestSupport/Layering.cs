using System.Reflection;
using System.Xml.Linq;
using Xunit.Sdk;

namespace FastAD.TestSupport;

/// <summary>
/// Checks the dependency direction of ARCHITECTURE.md: Cli -> Analyses -> {Stats, Trees, Flows, Data} -> Kernels,
/// with Stats, Trees, Flows and Data never referencing each other. Both the project files and the
/// compiled assemblies are checked.
/// </summary>
public static class Layering
{
    /// <summary>Allowed FastAD references of each project.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Allowed = new Dictionary<string, string[]>
    {
        ["Kernels"] = [],
        ["Stats"] = ["Kernels"],
        ["Trees"] = ["Kernels"],
        ["Flows"] = ["Kernels"],
        ["Data"] = ["Kernels"],
        ["Analyses"] = ["Kernels", "Stats", "Trees", "Flows", "Data"],
        ["Cli"] = ["Kernels", "Stats", "Trees", "Flows", "Data", "Analyses"],
    };

    /// <summary>The repository root (the folder holding FastAD.sln).</summary>
    public static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "FastAD.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new XunitException("FastAD.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Asserts the project's references stay within its layer.</summary>
    public static void AssertLayer(string project)
    {
        var allowed = Allowed[project];
        string csproj = Path.Combine(RepositoryRoot(), "src", project, $"FastAD.{project}.csproj");
        var refs = XDocument.Load(csproj).Descendants("ProjectReference")
            .Select(e => Path.GetFileNameWithoutExtension(e.Attribute("Include")!.Value).Replace("FastAD.", "", StringComparison.Ordinal))
            .ToList();
        var bad = refs.Where(r => !allowed.Contains(r)).ToList();
        if (bad.Count > 0)
            throw new XunitException($"src/{project} references {string.Join(", ", bad)}; ARCHITECTURE.md allows only [{string.Join(", ", allowed)}].");

        string assemblyName = project == "Cli" ? "fastad" : $"FastAD.{project}";
        var used = Assembly.Load(assemblyName).GetReferencedAssemblies()
            .Select(a => a.Name!).Where(n => n.StartsWith("FastAD.", StringComparison.Ordinal))
            .Select(n => n["FastAD.".Length..]).Where(n => !allowed.Contains(n)).ToList();
        if (used.Count > 0)
            throw new XunitException($"{assemblyName} uses {string.Join(", ", used)}, outside its layer.");
    }
}
