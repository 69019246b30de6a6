{{/*
Provisioner name shared by the StorageClass and the provisioner (PROVISIONER_NAME).
Includes the namespace so two releases never answer for each other's class.
*/}}
{{- define "nfsProvisioner.provisionerName" -}}
{{- if .Values.storageClass.provisionerName -}}
{{- .Values.storageClass.provisionerName -}}
{{- else -}}
{{- printf "nfs.mlops-platform.io/%s" (printf "%s-%s" .Release.Namespace (include "common.fullname" .) | trunc 63 | trimSuffix "-") -}}
{{- end -}}
{{- end -}}

{{/*
Name of the cluster-scoped RBAC objects: namespaced by prefix, since two releases
of the same name in different namespaces would otherwise collide.
*/}}
{{- define "nfsProvisioner.clusterRoleName" -}}
{{- printf "%s-%s" .Release.Namespace (include "common.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Where the export is mounted inside the NFS server pod, and the NFSv4 pseudo path
clients mount (it is also the prefix of every PV's nfs.path).
*/}}
{{- define "nfsProvisioner.dataDir" -}}/data{{- end -}}
{{- define "nfsProvisioner.pseudoPath" -}}/export{{- end -}}

{{/*
Address the PVs record for the in-cluster server. The kubelet mounts NFS from the
node, where cluster DNS names usually do not resolve, so it must be the Service's
ClusterIP: the pinned one, else the one the kubelet injects as
<SERVICE>_SERVICE_HOST (the Service is created before the StatefulSet's pod).
*/}}
{{- define "nfsProvisioner.inClusterServer" -}}
{{- if .Values.server.service.clusterIP -}}
{{- .Values.server.service.clusterIP -}}
{{- else -}}
{{- printf "$(%s_SERVICE_HOST)" (include "common.fullname" . | upper | replace "-" "_") -}}
{{- end -}}
{{- end -}}

{{/*
Fail early, naming the key, on combinations that cannot work.
*/}}
{{- define "nfsProvisioner.validate" -}}
{{- if .Values.server.enabled -}}
{{- if and (eq .Values.server.persistence.type "hostPath") (empty .Values.server.nodeSelector) -}}
{{- fail "nfs-provisioner: server.persistence.type hostPath needs server.nodeSelector pinning the node that holds server.persistence.hostPath.path" -}}
{{- end -}}
{{- if and (eq .Values.server.persistence.type "pvc") (eq .Values.server.persistence.storageClass .Values.storageClass.name) -}}
{{- fail (printf "nfs-provisioner: server.persistence.storageClass cannot be %q, the class this chart provides (the server would wait for itself)" .Values.storageClass.name) -}}
{{- end -}}
{{- else if not .Values.externalServer.host -}}
{{- fail "nfs-provisioner: set externalServer.host (and externalServer.path) to an NFS server reachable from the nodes, or server.enabled=true" -}}
{{- end -}}
{{- end -}}

{{/*
The nfs-subdir-external-provisioner container: (dict "context" $ "server" "<address>" "path" "<export path>").
It creates one directory per PVC under /persistentvolumes and records server:path in the PV.
*/}}
{{- define "nfsProvisioner.provisionerContainer" -}}
{{- $ctx := .context -}}
{{- $values := $ctx.Values.provisioner -}}
- name: provisioner
  image: {{ include "common.image" (dict "image" $values.image "context" $ctx) }}
  imagePullPolicy: {{ $values.image.pullPolicy }}
  {{- include "common.securityContext" (dict "securityContext" $ctx.Values.containerSecurityContext) | nindent 2 }}
  env:
    - name: PROVISIONER_NAME
      value: {{ include "nfsProvisioner.provisionerName" $ctx | quote }}
    - name: NFS_SERVER
      value: {{ .server | quote }}
    - name: NFS_PATH
      value: {{ .path | quote }}
    - name: ENABLE_LEADER_ELECTION
      value: {{ $values.leaderElection | quote }}
  # busybox copied in by the probe-tools init container (the image has no shell).
  livenessProbe:
    exec:
      command: ["/probe-tools/busybox", "test", "-d", "/persistentvolumes"]
    periodSeconds: 30
    timeoutSeconds: 10
    failureThreshold: 5
  readinessProbe:
    exec:
      command: ["/probe-tools/busybox", "test", "-w", "/persistentvolumes"]
    periodSeconds: 10
    timeoutSeconds: 10
  resources:
    {{- toYaml $values.resources | nindent 4 }}
  volumeMounts:
    - name: probe-tools
      mountPath: /probe-tools
      readOnly: true
    - name: {{ .volume }}
      mountPath: /persistentvolumes
      {{- with .subPath }}
      subPath: {{ . }}
      {{- end }}
    {{- with .extraMounts }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end -}}

{{/*
Init container that copies a static busybox into the probe-tools emptyDir, for
the provisioner's exec probes: (dict "context" $).
*/}}
{{- define "nfsProvisioner.probeToolsContainer" -}}
{{- $ctx := .context -}}
{{- $image := $ctx.Values.provisioner.probeTools.image -}}
- name: probe-tools
  image: {{ include "common.image" (dict "image" $image "context" $ctx) }}
  imagePullPolicy: {{ $image.pullPolicy }}
  command: ["/bin/cp", "/bin/busybox", "/probe-tools/busybox"]
  {{- include "common.securityContext" (dict "securityContext" $ctx.Values.containerSecurityContext) | nindent 2 }}
  resources:
    requests:
      cpu: 10m
      memory: 16Mi
    limits:
      cpu: 100m
      memory: 32Mi
  volumeMounts:
    - name: probe-tools
      mountPath: /probe-tools
{{- end -}}
