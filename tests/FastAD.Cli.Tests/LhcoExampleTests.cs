using FastAD.Data;
using FastAD.TestSupport;
using Xunit;

namespace FastAD.Cli.Tests;

/// <summary>
/// The LHC Olympics R&amp;D example: a file with the published file's layout (pandas to_hdf fixed format, key df, the jets'
/// momenta, masses and N-subjettiness, label), written by pandas; mjj and τ21 derived by FastAD against numpy's own
/// computation; and <c>fastad cathode --data it.h5 --config examples/cathode-lhco.yaml</c> run to the end on it.
/// </summary>
public sealed class LhcoExampleTests() : TempFolderTests("fastad-lhco-")
{
    /// <summary>Background dijets falling in mjj and a 3.5 TeV resonance decaying to 100 and 500 GeV two-prong jets.</summary>
    private const string Writer = """
import sys, numpy as np, pandas as pd
rng = np.random.default_rng(7)
nb, ns = 40000, 1600
mjj = np.concatenate([2.6 + rng.exponential(0.55, nb), rng.normal(3.5, 0.08, ns)]) * 1000
m1 = np.concatenate([rng.uniform(20, 400, nb), rng.normal(100, 8, ns)])
m2 = np.concatenate([rng.uniform(20, 600, nb), rng.normal(500, 25, ns)])
t21 = np.concatenate([rng.uniform(0.3, 0.95, (nb, 2)), rng.uniform(0.1, 0.4, (ns, 2))])
label = np.concatenate([np.zeros(nb), np.ones(ns)])
keep = m1 + m2 < mjj
mjj, m1, m2, t21, label = mjj[keep], m1[keep], m2[keep], t21[keep], label[keep]
n = len(mjj)
# Two-body decay in the dijet frame, then a boost along z.
p = np.sqrt((mjj**2 - (m1 + m2)**2) * (mjj**2 - (m1 - m2)**2)) / (2 * mjj)
cos, phi = rng.uniform(-0.7, 0.7, n), rng.uniform(0, 2 * np.pi, n)
sin = np.sqrt(1 - cos**2)
d = np.stack([sin * np.cos(phi), sin * np.sin(phi), cos], axis=1) * p[:, None]
beta = np.tanh(rng.normal(0, 0.6, n)); gamma = 1 / np.sqrt(1 - beta**2)
def boost(v, m):
    e = np.sqrt((v**2).sum(axis=1) + m**2)
    out = v.copy(); out[:, 2] = gamma * (v[:, 2] + beta * e)
    return out
j1, j2 = boost(d, m1), boost(-d, m2)
tau1 = rng.uniform(0.05, 0.6, (n, 2))
cols = {}
for k, (j, m) in enumerate([(j1, m1), (j2, m2)]):
    s = str(k + 1)
    cols.update({"pxj" + s: j[:, 0], "pyj" + s: j[:, 1], "pzj" + s: j[:, 2], "mj" + s: m,
                 "tau1j" + s: tau1[:, k], "tau2j" + s: tau1[:, k] * t21[:, k], "tau3j" + s: tau1[:, k] * t21[:, k] * 0.8})
cols["label"] = label
df = pd.DataFrame(cols)
df.to_hdf(sys.argv[1], key="df", mode="w", format="fixed")
# numpy's own dijet mass and tau21 from the written columns, for the comparison.
e = sum(np.sqrt(df["px" + j]**2 + df["py" + j]**2 + df["pz" + j]**2 + df["m" + j]**2) for j in ["j1", "j2"])
px, py, pz = (df["px" + "j1"] + df["pxj2"]), (df["pyj1"] + df["pyj2"]), (df["pzj1"] + df["pzj2"])
np.savez(sys.argv[2], mjj=np.sqrt(e**2 - px**2 - py**2 - pz**2).to_numpy() / 1000, tau21j1=(df["tau2j1"] / df["tau1j1"]).to_numpy())
""";

    private static readonly string[] Columns =
        ["pxj1", "pyj1", "pzj1", "mj1", "tau1j1", "tau2j1", "tau3j1", "pxj2", "pyj2", "pzj2", "mj2", "tau1j2", "tau2j2", "tau3j2", "label"];

    [SkippableFact]
    public void TheRdLayoutReadsDerivesAndRunsCathodeToTheEnd()
    {
        string h5 = PathOf("it.h5"), expected = PathOf("numpy.npz");
        ExternalWriters.Python(Writer, ["numpy", "pandas", "tables"], h5, expected);
        var table = EventTableIO.Read(h5);
        Assert.Equal(Columns, table.ColumnNames);

        // The derivation the example config uses, through convert, against numpy's.
        string derived = PathOf("derived.npz");
        var (code, output) = CliRunner.Run("convert", h5, derived, "--derive", "mjj = mass(pxj1, pyj1, pzj1, mj1, pxj2, pyj2, pzj2, mj2) / 1000",
            "--derive", "tau21j1=tau2j1/tau1j1", "--columns", "mjj,tau21j1,label");
        Assert.True(code == 0, output);
        var ours = EventTableIO.Read(derived);
        var numpy = EventTableIO.Read(expected);
        Close.All(numpy.View<double>("mjj"), ours.View<double>("mjj"), rel: 1e-12, what: "mjj");
        Assert.Equal(numpy.GetDouble("tau21j1"), ours.GetDouble("tau21j1"));

        // The shipped example, with small flows and BDTs so that the test is quick.
        string config = PathOf("lhco.yaml");
        File.WriteAllText(config, File.ReadAllText(Path.Combine(Layering.RepositoryRoot(), "examples", "cathode-lhco.yaml")) +
            "flows:\n  ensemble: 1\n  epochs: 4\n  blocks: 2\nbdt:\n  members: 2\n  max_rounds: 20\nstatistics:\n  fpr_points: 5\n  variation_degrees: [4]\n  variation_bins: [12]\n");
        string run = PathOf("run");
        (code, output) = CliRunner.Run("cathode", "--data", h5, "--config", config, "--out", run, "--quiet");
        Assert.True(code == 0, output);
        Assert.Contains("best CATHODE Z", output);
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "results.json")));
        Assert.Contains("mjj", File.ReadAllText(Path.Combine(run, "results.json")));
        Assert.True(File.Exists(Path.Combine(run, "report.md")));
    }
}
