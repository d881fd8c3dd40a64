using Aspire.Hosting.ApplicationModel;

namespace TenantAspire.AppHost;

public static class PlainHttp
{
    /// <summary>
    /// The services listen on plain http (their launch profiles have no https URL; TLS ends at the ingress when deployed), but
    /// Aspire 13.6 gives every project a dev-certificate callback, and with it the dashboard's red "No trusted development
    /// certificate" notification on machines without a trusted dev cert. Say that no certificate is wanted.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithPlainHttp(this IResourceBuilder<ProjectResource> project)
    {
#pragma warning disable ASPIRECERTIFICATES001 // evaluation API; the alternative is a banner every developer learns to ignore
        return project.WithoutHttpsCertificate();
#pragma warning restore ASPIRECERTIFICATES001
    }
}
