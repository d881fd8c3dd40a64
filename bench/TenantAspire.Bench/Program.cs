// TenantAspire benchmarks against the real stack (local mode). See docs/benchmarks.md for results and how to read them.
//   dotnet run -c Release --project bench/TenantAspire.Bench -- provisioning [sequential=30] [bulk=200]
//   dotnet run -c Release --project bench/TenantAspire.Bench -- load [tenants=1000] [seconds=15] [concurrency=32]
//   dotnet run -c Release --project bench/TenantAspire.Bench -- backend-exit [samples=500]
//   dotnet run -c Release --project bench/TenantAspire.Bench -- bouncer [tenants=1000] [seconds=15] [concurrency=32]
//   dotnet run -c Release --project bench/TenantAspire.Bench -- fleet [tenants=5000] [samples=200] [apiBudget=default]
//   dotnet run -c Release --project bench/TenantAspire.Bench -- registry-ab <before checkout> <after checkout, or .> [tenants=1000] [seconds=15] [rounds=2] [concurrency=32]
//   dotnet run -c Release --project bench/TenantAspire.Bench -- tax [seconds=10] [concurrency=32] [rounds=3] [memoryTenants=400]
//   dotnet run -c Release --project bench/TenantAspire.Bench -- tax-steps [repeats=3]   (only part 2, e.g. under dotnet-trace)
//   dotnet run -c Release --project bench/TenantAspire.Bench -- tax-memory [tenants=1000]   (only part 4)
//   dotnet run -c Release --project bench/TenantAspire.Bench -- refusal [calls=20000]
//   dotnet run -c Release --project bench/TenantAspire.Bench -- fairness [coldRequests=300] [hotLoops=16] [rounds=2]
//   dotnet run -c Release --project bench/TenantAspire.Bench -- autovacuum [tenants=1000] [seconds=15]
//   dotnet run -c Release --project bench/TenantAspire.Bench -- rollout [tenants=1000] [rps=100]
//   dotnet run -c Release --project bench/TenantAspire.Bench -- rollout-profile [tenants=300]   (only the rollout with no load, profiled)
//   dotnet run -c Release --project bench/TenantAspire.Bench -- sessions [databases=400]   (the worker's one-off sessions, two ways)
//   dotnet run -c Release --project bench/TenantAspire.Bench -- move [rows=100000] [writesPerSecond=50]
//   dotnet run -c Release --project bench/TenantAspire.Bench -- storm [ops=5000] [seeds=1,2,3,4,5] [tenants=12]
//   dotnet run -c Release --project bench/TenantAspire.Bench -- custom-fields [rows=100000] [samples=500]
//   dotnet run -c Release --project bench/TenantAspire.Bench -- pitr [tenants=1000] [seconds=180] [writesPerSecond=50]
//   dotnet run -c Release --project bench/TenantAspire.Bench -- sweep [tenants=300] [seconds=60]
using System.Globalization;
using TenantAspire.Bench;

static int Arg(string[] args, int index, int fallback) =>
    args.Length > index ? int.Parse(args[index], CultureInfo.InvariantCulture) : fallback;

switch (args.FirstOrDefault())
{
    case "provisioning":
        await ProvisioningScenario.RunAsync(Arg(args, 1, 30), Arg(args, 2, 200));
        return 0;
    case "load":
        await LoadScenario.RunAsync(Arg(args, 1, 1000), Arg(args, 2, 15), Arg(args, 3, 32));
        return 0;
    case "autovacuum":
        await AutovacuumScenario.RunAsync(Arg(args, 1, 1000), Arg(args, 2, 15));
        return 0;
    case "rollout":
        await RolloutScenario.RunAsync(Arg(args, 1, 1000), Arg(args, 2, 100));
        return 0;
    case "rollout-profile":
        await RolloutScenario.RunAsync(Arg(args, 1, 300), 0, profileOnly: true);
        return 0;
    case "sessions":
        await SessionScenario.RunAsync(Arg(args, 1, 400));
        return 0;
    case "move":
        await MoveScenario.RunAsync(Arg(args, 1, 100_000), Arg(args, 2, 50));
        return 0;
    case "backup":
        await BackupScenario.RunAsync(Arg(args, 1, 1000));
        return 0;
    case "bouncer":
        await BouncerScenario.RunAsync(Arg(args, 1, 1000), Arg(args, 2, 15), Arg(args, 3, 32));
        return 0;
    case "fleet":
        await FleetScenario.RunAsync(Arg(args, 1, 5000), Arg(args, 2, 200), Arg(args, 3, 0));
        return 0;
    case "registry-ab" when args.Length > 2:
        await RegistryAbScenario.RunAsync(args[1], args[2], Arg(args, 3, 1000), Arg(args, 4, 15), Arg(args, 5, 2), Arg(args, 6, 32));
        return 0;
    case "tax-steps":
        await TaxScenario.RunAsync(0, 0, Arg(args, 1, 3), 0, stepsOnly: true);
        return 0;
    case "tax-memory":
        await TaxScenario.RunAsync(0, 0, 0, Arg(args, 1, 1000), memoryOnly: true);
        return 0;
    case "tax":
        await TaxScenario.RunAsync(Arg(args, 1, 10), Arg(args, 2, 32), Arg(args, 3, 3), Arg(args, 4, 400));
        return 0;
    case "refusal":
        await RefusalScenario.RunAsync(Arg(args, 1, 20_000));
        return 0;
    case "fairness":
        await FairnessScenario.RunAsync(Arg(args, 1, 300), Arg(args, 2, 16), Arg(args, 3, 2));
        return 0;
    case "storm":
        await StormScenario.RunAsync(Arg(args, 1, 5000),
            args.Length > 2 ? [.. args[2].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))] : [1, 2, 3, 4, 5], Arg(args, 3, 12));
        return 0;
    case "custom-fields":
        await CustomFieldsScenario.RunAsync(Arg(args, 1, 100_000), Arg(args, 2, 500));
        return 0;
    case "pitr":
        await PitrScenario.RunAsync(Arg(args, 1, 1000), Arg(args, 2, 180), Arg(args, 3, 50));
        return 0;
    case "sweep":
        await SweepScenario.RunAsync(Arg(args, 1, 300), Arg(args, 2, 60));
        return 0;
    case "backend-exit":
        await BackendExitScenario.RunAsync(Arg(args, 1, 500));
        return 0;
    default:
        Console.Error.WriteLine("usage: provisioning [sequential] [bulk] | load [tenants] [seconds] [concurrency] | backend-exit [samples] | sweep [tenants] [seconds] | autovacuum [tenants] [seconds] | rollout [tenants] [rps] | rollout-profile [tenants] | sessions [databases] | move [rows] [writesPerSecond] | backup [tenants] | bouncer [tenants] [seconds] [concurrency] | registry-ab <before> <after|.> [tenants] [seconds] [rounds] [concurrency] | fleet [tenants] [samples] [apiBudget] | tax [seconds] [concurrency] [rounds] [memoryTenants] | refusal [calls] | fairness [coldRequests] [hotLoops] [rounds] | storm [ops] [seeds,comma-separated] [tenants] | custom-fields [rows] [samples] | pitr [tenants] [seconds] [writesPerSecond]");
        return 2;
}
