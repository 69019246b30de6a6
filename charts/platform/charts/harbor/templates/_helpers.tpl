{{/*
Object names of the components: (dict "context" $ "component" "core").
*/}}
{{- define "harbor.name" -}}
{{- include "common.componentName" . -}}
{{- end -}}

{{/*
Secret holding every generated key (or the user's existingSecret).
*/}}
{{- define "harbor.secretName" -}}
{{- .Values.existingSecret | default (include "common.fullname" .) -}}
{{- end -}}

{{/*
In-cluster URLs of the components, on their Services' ports (service.ports).
*/}}
{{- define "harbor.serviceURL" -}}
{{- $host := include "harbor.name" (dict "context" .context "component" .component) -}}
{{- ternary (printf "http://%s" $host) (printf "http://%s:%v" $host .port) (eq (int .port) 80) -}}
{{- end -}}

{{- define "harbor.coreURL" -}}
{{- include "harbor.serviceURL" (dict "context" . "component" "core" "port" .Values.service.ports.http) -}}
{{- end -}}

{{- define "harbor.portalURL" -}}
{{- include "harbor.serviceURL" (dict "context" . "component" "portal" "port" .Values.service.ports.http) -}}
{{- end -}}

{{- define "harbor.jobserviceURL" -}}
{{- include "harbor.serviceURL" (dict "context" . "component" "jobservice" "port" .Values.service.ports.http) -}}
{{- end -}}

{{- define "harbor.registryURL" -}}
{{- include "harbor.serviceURL" (dict "context" . "component" "registry" "port" .Values.service.ports.registry) -}}
{{- end -}}

{{- define "harbor.registryControllerURL" -}}
{{- include "harbor.serviceURL" (dict "context" . "component" "registry" "port" .Values.service.ports.registryController) -}}
{{- end -}}

{{/*
Redis: one instance, one database index per consumer (core 0, jobservice 1,
registry 2), as Harbor's own installer lays them out.
*/}}
{{- define "harbor.redisAddr" -}}
{{- printf "%s:%v" (include "harbor.name" (dict "context" . "component" "redis")) .Values.service.ports.redis -}}
{{- end -}}

{{- define "harbor.redisURL" -}}
{{- printf "redis://%s/%v" (include "harbor.redisAddr" .context) .db -}}
{{- end -}}

{{/*
The URL clients use: externalURL, else the ingress host (https when the ingress
has a TLS issuer), else the in-cluster core Service.
*/}}
{{- define "harbor.externalURL" -}}
{{- if .Values.externalURL -}}
{{- .Values.externalURL | trimSuffix "/" -}}
{{- else if .Values.ingress.enabled -}}
{{- include "common.ingressURL" (dict "ingress" .Values.ingress "component" "harbor" "context" .) -}}
{{- else -}}
{{- include "harbor.coreURL" . -}}
{{- end -}}
{{- end -}}

{{/*
Generated secret data, computed once per render and cached on the root
context, so the Secret and the checksum annotations of the pods that use it
see the same bytes. Every value survives upgrades:
- random keys via common.keptSecretValue (stored value wins);
- the registry htpasswd line (bcrypt, random salt) is reused while the stored
  password and user are unchanged, so upgrades do not roll the registry;
- the token-service signing pair is generated only when the Secret has none;
  otherwise the stored PEM (base64, as lookup returns it) is reused, so every
  core replica and every upgrade signs and verifies with the same key.
*/}}
{{- define "harbor.secretData" -}}
{{- if not (hasKey . "harborSecretDataCache") -}}
{{- $name := include "common.fullname" . -}}
{{- $stored := (lookup "v1" "Secret" .Release.Namespace $name).data | default dict -}}
{{- $kept := dict "context" . "secret" $name -}}
{{- $data := dict -}}
{{- $_ := set $data "secretKey" (include "common.keptSecretValue" (merge (dict "key" "secretKey" "length" 16) $kept)) -}}
{{- $_ := set $data "CORE_SECRET" (include "common.keptSecretValue" (merge (dict "key" "CORE_SECRET" "length" 32) $kept)) -}}
{{- $_ := set $data "CSRF_KEY" (include "common.keptSecretValue" (merge (dict "key" "CSRF_KEY" "length" 32) $kept)) -}}
{{- $_ := set $data "JOBSERVICE_SECRET" (include "common.keptSecretValue" (merge (dict "key" "JOBSERVICE_SECRET" "length" 32) $kept)) -}}
{{- $_ := set $data "REGISTRY_HTTP_SECRET" (include "common.keptSecretValue" (merge (dict "key" "REGISTRY_HTTP_SECRET" "length" 32) $kept)) -}}
{{- if not .Values.admin.existingSecret -}}
{{- $_ := set $data "HARBOR_ADMIN_PASSWORD" (include "common.keptSecretValue" (merge (dict "key" "HARBOR_ADMIN_PASSWORD" "length" 20) $kept)) -}}
{{- end -}}
{{- $password := include "common.keptSecretValue" (merge (dict "key" "REGISTRY_CREDENTIAL_PASSWORD" "length" 32) $kept) -}}
{{- $_ := set $data "REGISTRY_CREDENTIAL_PASSWORD" $password -}}
{{- $user := .Values.registry.credentials.username -}}
{{- $storedLine := get $stored "REGISTRY_HTPASSWD" | default "" | b64dec -}}
{{- if and (eq (get $stored "REGISTRY_CREDENTIAL_PASSWORD" | default "") $password) (hasPrefix (printf "%s:" $user) $storedLine) -}}
{{- $_ := set $data "REGISTRY_HTPASSWD" (get $stored "REGISTRY_HTPASSWD") -}}
{{- else -}}
{{- $_ := set $data "REGISTRY_HTPASSWD" (htpasswd $user (b64dec $password) | b64enc) -}}
{{- end -}}
{{- if and (get $stored "tls.key") (get $stored "tls.crt") -}}
{{- $_ := set $data "tls.key" (get $stored "tls.key") -}}
{{- $_ := set $data "tls.crt" (get $stored "tls.crt") -}}
{{- else -}}
{{- $cert := genSelfSignedCertWithKey "harbor-token-issuer" nil nil 3650 (genPrivateKey "rsa") -}}
{{- $_ := set $data "tls.key" ($cert.Key | b64enc) -}}
{{- $_ := set $data "tls.crt" ($cert.Cert | b64enc) -}}
{{- end -}}
{{- $_ := set . "harborSecretDataCache" $data -}}
{{- end -}}
{{- toYaml (get . "harborSecretDataCache") -}}
{{- end -}}

{{/*
Pod spec lines every Harbor pod shares: (dict "context" $ "component" "core"
"replicas" N "podSecurityContext" <block>): the ServiceAccount, pull secrets,
security context and placement (anti-affinity among the component's own pods).
*/}}
{{- define "harbor.podSpec" -}}
{{- $ctx := .context -}}
{{- include "common.podServiceAccount" (dict "serviceAccount" $ctx.Values.serviceAccount "context" $ctx) }}
{{- include "common.imagePullSecrets" $ctx }}
{{ include "common.securityContext" (dict "securityContext" .podSecurityContext) }}
{{ include "common.podPlacement" (dict "placement" $ctx.Values "replicas" .replicas "component" .component "context" $ctx) }}
{{- end -}}

{{/*
An env var from the chart's Secret: (dict "context" $ "name" "CORE_SECRET").
*/}}
{{- define "harbor.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ include "harbor.secretName" .context }}
      key: {{ .key | default .name }}
{{- end -}}

{{/*
Extra trusted CAs (caBundleSecret): mounted as a directory and added to the Go
trust store through SSL_CERT_DIR; the image's own bundle file is still read.
The images' install_cert.sh entrypoints are not used (they rewrite files in
the read-only root filesystem).
*/}}
{{- define "harbor.caBundleEnv" -}}
{{- if .Values.caBundleSecret }}
- name: SSL_CERT_DIR
  value: /harbor_cust_cert
{{- end }}
{{- end -}}

{{- define "harbor.caBundleMount" -}}
{{- if .Values.caBundleSecret }}
- name: ca-bundle
  mountPath: /harbor_cust_cert
  readOnly: true
{{- end }}
{{- end -}}

{{- define "harbor.caBundleVolume" -}}
{{- if .Values.caBundleSecret }}
- name: ca-bundle
  secret:
    secretName: {{ .Values.caBundleSecret }}
{{- end }}
{{- end -}}

{{/*
Checksum of the chart's Secret (empty when an existingSecret is used).
*/}}
{{- define "harbor.secretChecksum" -}}
{{- include "common.checksum" (dict "context" . "template" "/secret.yaml") -}}
{{- end -}}

{{/*
Value combinations the schema cannot express.
*/}}
{{- define "harbor.validate" -}}
{{- $p := .Values.registry.persistence -}}
{{- if and (gt (int .Values.registry.replicas) 1) $p.enabled (not (has "ReadWriteMany" $p.accessModes)) -}}
{{- fail "registry.replicas > 1 needs registry.persistence.accessModes [ReadWriteMany] (replicas share the image store)" -}}
{{- end -}}
{{- end -}}

{{/*
The bootstrap hook's objects and the pull Secret it writes.
*/}}
{{- define "harbor.bootstrap.fullname" -}}
{{- include "common.componentName" (dict "context" . "component" "bootstrap") -}}
{{- end -}}

{{- define "harbor.bootstrap.pullSecretName" -}}
{{- .Values.bootstrap.pullSecretName | default (include "common.componentName" (dict "context" . "component" "pull")) -}}
{{- end -}}

{{/*
host[:port] pods pull from: the external URL's, which the pull Secret's login is for.
*/}}
{{- define "harbor.registryHost" -}}
{{- (urlParse (include "harbor.externalURL" .)).host -}}
{{- end -}}
