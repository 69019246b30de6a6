{{/*
Ingress host: (dict "ingress" .Values.ingress "component" "mlflow" "context" $).
The chart's ingress.host wins, else "<component>.<global.domain>".
*/}}
{{- define "common.ingressHost" -}}
{{- $global := .context.Values.global | default dict -}}
{{- if .ingress.host -}}
{{- .ingress.host -}}
{{- else if $global.domain -}}
{{- printf "%s.%s" .component $global.domain -}}
{{- else -}}
{{- fail (printf "%s: ingress.enabled needs ingress.host or global.domain" .component) -}}
{{- end -}}
{{- end -}}

{{/*
The cert-manager ClusterIssuer of an Ingress: ingress.clusterIssuer, else
global.tlsIssuer; empty means no TLS. (dict "ingress" .Values.ingress "context" $).
*/}}
{{- define "common.ingressTLSIssuer" -}}
{{- $global := .context.Values.global | default dict -}}
{{- .ingress.clusterIssuer | default $global.tlsIssuer -}}
{{- end -}}

{{/*
Ingress metadata.annotations shared by every chart:
(dict "ingress" .Values.ingress "component" "mlflow" "context" $).
The chart's ingress.annotations, plus the cert-manager annotation when a TLS issuer
is set, so the certificate is requested automatically.
*/}}
{{- define "common.ingressAnnotations" -}}
{{- $issuer := include "common.ingressTLSIssuer" . -}}
{{- with .ingress.annotations }}
{{ toYaml . }}
{{- end }}
{{- if $issuer }}
cert-manager.io/cluster-issuer: {{ $issuer | quote }}
{{- end }}
{{- end -}}

{{/*
Ingress class and TLS block. An optional "secretName" names the certificate
Secret (default "<fullname>-tls"), so a chart with two Ingresses keeps two certificates.
*/}}
{{- define "common.ingressClassAndTLS" -}}
{{- $global := .context.Values.global | default dict -}}
{{- $class := .ingress.className | default $global.ingressClassName -}}
{{- if $class }}
ingressClassName: {{ $class | quote }}
{{- end }}
{{- if include "common.ingressTLSIssuer" . }}
tls:
  - hosts:
      - {{ include "common.ingressHost" . | quote }}
    secretName: {{ printf "%s-tls" (.secretName | default (include "common.fullname" .context)) | trunc 63 }}
{{- end }}
{{- end -}}

{{/*
URL clients reach a component at through its Ingress: https when a TLS issuer
signs its certificate, else http. (dict "ingress" .Values.ingress "component"
"mlflow" "context" $), optionally "path" appended as given.
*/}}
{{- define "common.ingressURL" -}}
{{- $scheme := ternary "https" "http" (ne (include "common.ingressTLSIssuer" .) "") -}}
{{- printf "%s://%s%s" $scheme (include "common.ingressHost" .) (.path | default "") -}}
{{- end -}}
