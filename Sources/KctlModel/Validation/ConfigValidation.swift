import Foundation

/// The most data a Secret or ConfigMap may hold, as Kubernetes limits it.
let maxConfigDataBytes = 1024 * 1024

/// Whether `text` is standard base64 (padding required, as Go's StdEncoding reads it).
func isValidBase64(_ text: String) -> Bool {
    Data(base64Encoded: text) != nil
}

extension Secret {
    func validate(into errors: inout FieldErrors) {
        metadata.validate(into: &errors, namespaced: true, nameRule: .dns1123Subdomain)
        var size = 0
        for (key, value) in (data ?? [:]).sorted(by: { $0.key < $1.key }) {
            errors.check("data[\(key)]", key, NameValidation.configMapKey(key))
            if let decoded = Data(base64Encoded: value) {
                size += decoded.count
            } else {
                errors.invalid("data[\(key)]", "<secret data>", "illegal base64 data: values of `data` must be base64-encoded (use `stringData` for plain text)")
            }
        }
        for (key, value) in (stringData ?? [:]).sorted(by: { $0.key < $1.key }) {
            errors.check("stringData[\(key)]", key, NameValidation.configMapKey(key))
            size += value.utf8.count
        }
        if size > maxConfigDataBytes { errors.tooLong("data", maxConfigDataBytes) }
        let keys = Set((data ?? [:]).keys).union((stringData ?? [:]).keys)
        switch type ?? "Opaque" {
        case "kubernetes.io/tls":
            for required in ["tls.crt", "tls.key"] where !keys.contains(required) {
                errors.required("data[\(required)]")
            }
        case "kubernetes.io/dockerconfigjson":
            if !keys.contains(".dockerconfigjson") { errors.required("data[.dockerconfigjson]") }
        case "kubernetes.io/basic-auth":
            if !keys.contains("username") && !keys.contains("password") {
                errors.required("data[username]", "either `username` or `password` is required")
            }
        case "kubernetes.io/ssh-auth":
            if !keys.contains("ssh-privatekey") { errors.required("data[ssh-privatekey]") }
        case "kubernetes.io/service-account-token":
            if (metadata.annotations?["kubernetes.io/service-account.name"] ?? "").isEmpty {
                errors.required("metadata.annotations[kubernetes.io/service-account.name]")
            }
        default:
            break
        }
    }

    func validateUpdate(from old: Secret, into errors: inout FieldErrors) {
        if (type ?? "Opaque") != (old.type ?? "Opaque") {
            errors.invalid("type", type ?? "", "field is immutable")
        }
        if old.immutable == true {
            if immutable != true { errors.forbidden("immutable", "field is immutable when `immutable` is set") }
            if data != old.data { errors.forbidden("data", "field is immutable when `immutable` is set") }
        }
    }
}

extension ConfigMap {
    func validate(into errors: inout FieldErrors) {
        metadata.validate(into: &errors, namespaced: true, nameRule: .dns1123Subdomain)
        var size = 0
        for (key, value) in (data ?? [:]).sorted(by: { $0.key < $1.key }) {
            errors.check("data[\(key)]", key, NameValidation.configMapKey(key))
            size += value.utf8.count
        }
        for (key, value) in (binaryData ?? [:]).sorted(by: { $0.key < $1.key }) {
            errors.check("binaryData[\(key)]", key, NameValidation.configMapKey(key))
            if data?[key] != nil { errors.duplicate("binaryData[\(key)]", key) }
            if let decoded = Data(base64Encoded: value) {
                size += decoded.count
            } else {
                errors.invalid("binaryData[\(key)]", "<binary data>", "illegal base64 data")
            }
        }
        if size > maxConfigDataBytes { errors.tooLong("data", maxConfigDataBytes) }
    }

    func validateUpdate(from old: ConfigMap, into errors: inout FieldErrors) {
        if old.immutable == true {
            if immutable != true { errors.forbidden("immutable", "field is immutable when `immutable` is set") }
            if data != old.data { errors.forbidden("data", "field is immutable when `immutable` is set") }
            if binaryData != old.binaryData {
                errors.forbidden("binaryData", "field is immutable when `immutable` is set")
            }
        }
    }
}
