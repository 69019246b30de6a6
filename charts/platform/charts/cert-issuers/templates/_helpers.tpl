{{/*
Fail the render when cert-manager's CRDs are absent: applying these objects would
fail anyway ("no matches for kind ClusterIssuer"), later and less clearly.
(dict "context" $ "kind" "ClusterIssuer")
*/}}
{{- define "certIssuers.requireCertManager" -}}
{{- if not (.context.Capabilities.APIVersions.Has (printf "cert-manager.io/v1/%s" .kind)) -}}
{{- fail "cert-manager is not installed: its CRDs (cert-manager.io/v1) are missing. Install cert-manager first (https://cert-manager.io/docs/installation/helm/), then install this chart." -}}
{{- end -}}
{{- end -}}

{{/*
ACME directory URL: "production" and "staging" are Let's Encrypt's; anything else is
taken as a URL. (dict "issuer" .Values.acmeHttp01)
*/}}
{{- define "certIssuers.acmeServer" -}}
{{- $server := .issuer.server | default "production" -}}
{{- if eq $server "production" -}}
https://acme-v02.api.letsencrypt.org/directory
{{- else if eq $server "staging" -}}
https://acme-staging-v02.api.letsencrypt.org/directory
{{- else -}}
{{- $server -}}
{{- end -}}
{{- end -}}

{{/*
The ACME part shared by both ACME issuers, up to (not including) the solvers:
(dict "issuer" .Values.acmeHttp01 "key" "acmeHttp01").
*/}}
{{- define "certIssuers.acmeAccount" -}}
server: {{ include "certIssuers.acmeServer" . }}
email: {{ required (printf "%s.email is required (the ACME account's contact)" .key) .issuer.email | quote }}
privateKeySecretRef:
  name: {{ .issuer.privateKeySecretName | default (printf "%s-account-key" .issuer.name) }}
{{- end -}}

{{/*
Cloudflare API token Secret: the user's existingSecret, else the one this chart creates.
*/}}
{{- define "certIssuers.cloudflareSecretName" -}}
{{- $cf := .Values.acmeDns01Cloudflare -}}
{{- if $cf.existingSecret.name -}}
{{- $cf.existingSecret.name -}}
{{- else if $cf.apiToken -}}
{{- printf "%s-cloudflare-api-token" (include "common.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- fail "acmeDns01Cloudflare: set existingSecret.name (a Secret in clusterResourceNamespace with the Cloudflare API token; preferred) or apiToken" -}}
{{- end -}}
{{- end -}}
