global using Microsoft.EntityFrameworkCore;
global using TenantAspire.ProvisioningWorker.Hibernation;
global using TenantAspire.ProvisioningWorker.Operations;
global using TenantAspire.ProvisioningWorker.Provisioning;
global using TenantAspire.ProvisioningWorker.Servers;
global using TenantAspire.ProvisioningWorker.Rollouts;
global using TenantAspire.ProvisioningWorker.Moves;
global using TenantAspire.Tenancy.Servers;
