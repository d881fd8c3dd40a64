using TenantAspire.Tests.Infrastructure;
using TenantAspire.Storm;
using Xunit.Abstractions;

namespace TenantAspire.Tests.Storm;

/// <summary>
/// The operation storm (issue 21): a seeded interleaving of every admin and tenant operation over 12 tenants of both tiers on both
/// servers, through both API replicas, with writers and worker kills; then the invariants. A failure names the seed (replay it
/// with the same seed here, or longer with <c>bench … storm</c>) and the violations, first one first.
/// </summary>
[Collection(SettingsStacksCollection.Name)]
public sealed class OperationStormTests(StormStackFixture fixture, ITestOutputHelper output) : OnSharedStack(fixture)
{
    [Theory]
    [InlineData(20261204)]
    [InlineData(7)]
    public async Task A_seeded_storm_of_operations_leaves_every_invariant_holding(int seed)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var model = await new OperationStorm(fixture, seed, tenants: 12, operations: 150, workerKills: 2, output.WriteLine).RunAsync(timeout.Token);

        var leftover = false;
        var violations = await new StormInvariants(fixture, model, line =>
        {
            leftover |= line.Contains("known leftover", StringComparison.Ordinal);
            output.WriteLine(line);
        }).CheckAsync();
        if (leftover)
        {
            // What the sweep said about it (it logs each refusal at Information): the clue to why the leftover stays.
            var sweep = (await fixture.RecentLogsAsync("provisioning-worker", 20_000)).Split('\n')
                .Where(l => l.Contains("Orphan sweep", StringComparison.Ordinal) || l.Contains("subscription", StringComparison.OrdinalIgnoreCase));
            output.WriteLine("--- worker on sweeps and subscriptions:\n" + string.Join('\n', sweep.TakeLast(20)));
        }

        foreach (var step in model.Steps.GroupBy(s => (s.Action, s.Status)).OrderBy(g => g.Key.Action))
        {
            output.WriteLine($"  {step.Key.Action,-10} {step.Key.Status}: {step.Count()}");
        }
        if (violations.Count > 0)
        {
            // The errors only (a storm logs thousands of lines), each with the lines after it (the exception); the APIs last, so
            // the tail of a CI log (the report prints a failed test's last lines) shows what answered 500.
            foreach (var (resource, take) in new[] { ("provisioning-worker", 15), ("tenant-api", 10), (Infrastructure.AspireAppFixture.SecondApi, 10) })
            {
                var lines = (await fixture.RecentLogsAsync(resource, 20_000)).Split('\n');
                output.WriteLine($"--- {resource}: " + string.Join('\n', lines.Select((l, i) => (l, i))
                    .Where(x => x.l.Contains("fail:", StringComparison.Ordinal))
                    .TakeLast(take).Select(x => string.Join(" | ", lines.Skip(x.i).Take(3)))));
            }
        }
        Assert.True(violations.Count == 0,
            $"storm seed {seed}: {violations.Count} violation(s); first: {violations.FirstOrDefault()}\n{string.Join("\n", violations.Take(20))}");
    }
}
