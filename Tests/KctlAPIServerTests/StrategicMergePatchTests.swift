import KctlModel
import Testing

@testable import KctlAPIServer

/// Strategic merge patch as a pure function: apimachinery's own cases for every directive (on a
/// schema shaped like its test type), then the Kubernetes kinds kctl serves.
struct StrategicMergePatchTests {
    /// One patch applied to one object: the expected object, or a fragment of the error.
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var original: String
        var patch: String
        var result: String?
        var error: String? = nil
        var testDescription: String { name }
    }

    /// The shape of apimachinery's test type: merging and atomic lists of objects and of scalars,
    /// a replaced field, and `retainKeys` fields, nested a few levels.
    static func item(depth: Int = 3) -> [String: PatchMeta] {
        let nested = depth > 0 ? item(depth: depth - 1) : [:]
        return [
            "mergingList": .list(mergeKey: "name", element: nested),
            "nonMergingList": PatchMeta(fields: nested),
            "mergingIntList": .list(mergeKey: nil),
            "mergeItemPtr": .list(mergeKey: "name", element: nested),
            "replacingItem": PatchMeta(strategy: .replace),
            "retainKeysMap": .object(
                ["mergingIntList": .list(mergeKey: nil), "mergingList": .list(mergeKey: "name", element: nested)],
                retainKeys: true),
            "retainKeysMergingList": .list(mergeKey: "name", retainKeys: true, element: nested),
        ]
    }

    static let schema = PatchMeta.object(item())

    static func run(_ c: Case, meta: PatchMeta = schema) throws {
        let original = try JSONValue.parse(c.original)
        let patch = try JSONValue.parse(c.patch)
        if let expected = c.error {
            #expect(throws: StatusError.self, "\(c.name)") {
                do { _ = try StrategicMergePatch.apply(patch, to: original, meta: meta) } catch let error as StatusError {
                    #expect(error.message.contains(expected), "\(c.name): \(error.message)")
                    throw error
                }
            }
            return
        }
        let result = try StrategicMergePatch.apply(patch, to: original, meta: meta)
        let expected = try JSONValue.parse(c.result ?? "{}")
        #expect(result == expected, "\(c.name): got \(result.serializedString())")
    }

    // MARK: Maps, nulls and $patch in maps

    static let maps: [Case] = [
        Case(name: "nil original", original: "{}", patch: #"{"name":1,"value":1}"#, result: #"{"name":1,"value":1}"#),
        Case(name: "empty patch", original: #"{"name":1}"#, patch: "{}", result: #"{"name":1}"#),
        Case(name: "add field to map", original: #"{"name":1}"#, patch: #"{"value":1}"#, result: #"{"name":1,"value":1}"#),
        Case(name: "add and delete a field", original: #"{"name":1}"#, patch: #"{"name":null,"value":1}"#, result: #"{"value":1}"#),
        Case(
            name: "delete field from nested map", original: #"{"simpleMap":{"key1":1,"key2":1}}"#,
            patch: #"{"simpleMap":{"key2":null}}"#, result: #"{"simpleMap":{"key1":1}}"#),
        Case(
            name: "null for a missing key is ignored", original: #"{"name":"a","other":"c"}"#,
            patch: #"{"name":"b","value":null}"#, result: #"{"name":"b","other":"c"}"#),
        Case(
            name: "nulls inside a new map are dropped", original: "{}", patch: #"{"simpleMap":{"a":1,"b":null}}"#,
            result: #"{"simpleMap":{"a":1}}"#),
        Case(
            name: "$patch delete empties a nested map", original: #"{"simpleMap":{"key1":1,"key2":1}}"#,
            patch: #"{"simpleMap":{"$patch":"delete"}}"#, result: #"{"simpleMap":{}}"#),
        Case(
            name: "$patch delete of a missing map adds nothing", original: #"{"name":1}"#,
            patch: #"{"simpleMap":{"$patch":"delete"}}"#, result: #"{"name":1}"#),
        Case(name: "$patch replace with nothing empties the object", original: #"{"name":1,"value":1}"#, patch: #"{"$patch":"replace"}"#, result: "{}"),
        Case(
            name: "$patch replace with a key keeps only it", original: #"{"name":1,"value":1}"#,
            patch: #"{"other":"a","$patch":"replace"}"#, result: #"{"other":"a"}"#),
        Case(
            name: "$patch replace in a nested map", original: #"{"simpleMap":{"a":1,"b":2},"name":"x"}"#,
            patch: #"{"simpleMap":{"c":3,"$patch":"replace"}}"#, result: #"{"simpleMap":{"c":3},"name":"x"}"#),
        Case(name: "$patch merge in a map is refused", original: "{}", patch: #"{"$patch":"merge"}"#, error: "unknown patch type: merge"),
        Case(name: "unknown $patch is refused", original: "{}", patch: #"{"simpleMap":{"$patch":"bogus"}}"#, result: nil, error: "unknown patch type: bogus"),
        Case(
            name: "replace strategy replaces a map", original: #"{"replacingItem":{"a":1,"b":{"c":1}}}"#,
            patch: #"{"replacingItem":{"b":{"d":2}}}"#, result: #"{"replacingItem":{"b":{"d":2}}}"#),
        Case(
            name: "a scalar replaces a map and a map a scalar", original: #"{"a":{"x":1},"b":"s"}"#,
            patch: #"{"a":"s","b":{"x":1}}"#, result: #"{"a":"s","b":{"x":1}}"#),
        Case(name: "the patch must be an object", original: "{}", patch: "[]", error: "must be a JSON object"),
    ]

    @Test(arguments: maps) func mapsAndNulls(_ c: Case) throws { try Self.run(c) }

    // MARK: Lists

    static let lists: [Case] = [
        Case(
            name: "non-merging list of scalars is replaced", original: #"{"nonMergingIntList":[1,2]}"#,
            patch: #"{"nonMergingIntList":[2,3]}"#, result: #"{"nonMergingIntList":[2,3]}"#),
        Case(
            name: "unique scalars when merging lists", original: #"{"mergingIntList":[1,2]}"#,
            patch: #"{"mergingIntList":[2,3]}"#, result: #"{"mergingIntList":[1,2,3]}"#),
        Case(
            // Without `$setElementOrder`, a new element goes before elements only the server has.
            name: "merge lists of maps", original: #"{"mergingList":[{"name":"1"}]}"#,
            patch: #"{"mergingList":[{"name":"2"}]}"#, result: #"{"mergingList":[{"name":"2"},{"name":"1"}]}"#),
        Case(
            name: "merge lists of maps with $setElementOrder",
            original: #"{"mergingList":[{"name":1,"other":"a"},{"name":2,"value":2,"other":"b"}]}"#,
            patch: #"{"$setElementOrder/mergingList":[{"name":4},{"name":1},{"name":2},{"name":3}],"mergingList":[{"name":4,"value":4},{"name":3,"value":3}]}"#,
            result: #"{"mergingList":[{"name":4,"value":4},{"name":1,"other":"a"},{"name":2,"value":2,"other":"b"},{"name":3,"value":3}]}"#),
        Case(
            name: "add field to map in merging list", original: #"{"mergingList":[{"name":"1"},{"name":"2","value":"2"}]}"#,
            patch: #"{"mergingList":[{"name":"1","value":"1"}]}"#,
            result: #"{"mergingList":[{"name":"1","value":"1"},{"name":"2","value":"2"}]}"#),
        Case(
            name: "delete field from map in merging list", original: #"{"mergingList":[{"name":"1","value":"1"},{"name":"2"}]}"#,
            patch: #"{"mergingList":[{"name":"1","value":null}]}"#, result: #"{"mergingList":[{"name":"1"},{"name":"2"}]}"#),
        Case(
            name: "merge key numbers compare as numbers", original: #"{"mergingList":[{"name":1,"value":"a"}]}"#,
            patch: #"{"mergingList":[{"name":1.0,"value":"b"}]}"#, result: #"{"mergingList":[{"name":1.0,"value":"b"}]}"#),
        Case(
            name: "replace non merging list nested in merging list",
            original: #"{"mergingList":[{"name":"1","nonMergingList":[{"name":"1"},{"name":"2","value":"2"}]},{"name":"2"}]}"#,
            patch: #"{"mergingList":[{"name":"1","nonMergingList":[{"name":"1","value":"1"}]}]}"#,
            result: #"{"mergingList":[{"name":"1","nonMergingList":[{"name":"1","value":"1"}]},{"name":"2"}]}"#),
        Case(
            name: "add field to map in merging list nested in merging list",
            original: #"{"mergingList":[{"name":"1","mergingList":[{"name":"1"},{"name":"2","value":"2"}]},{"name":"2"}]}"#,
            patch: #"{"mergingList":[{"name":"1","mergingList":[{"name":"1","value":"1"}]}]}"#,
            result: #"{"mergingList":[{"name":"1","mergingList":[{"name":"1","value":"1"},{"name":"2","value":"2"}]},{"name":"2"}]}"#),
        Case(
            name: "missing merge key is refused", original: #"{"mergingList":[{"name":"1","value":"a"}]}"#,
            patch: #"{"mergingList":[{"value":"b"}]}"#, error: "does not contain declared merge key: name"),
        Case(name: "lists of lists are refused", original: #"{"mergingIntList":[1]}"#, patch: #"{"mergingIntList":[[2]]}"#, error: "lists of lists"),
        Case(
            name: "merge empty merging lists", original: #"{"mergingList":[]}"#, patch: #"{"mergingList":[]}"#,
            result: #"{"mergingList":[]}"#),
        Case(
            name: "a list added where there was none loses its directives", original: "{}",
            patch: #"{"mergingList":[{"name":"1"},{"name":"2","$patch":"delete"}]}"#, result: #"{"mergingList":[{"name":"1"}]}"#),
        Case(
            name: "preserve the order from the patch in a merging list",
            original: #"{"mergingList":[{"name":"1"},{"name":"2","value":"b"},{"name":"3"}]}"#,
            patch: #"{"mergingList":[{"name":"3","value":"c"},{"name":"1","value":"a"},{"name":"2","other":"x"}]}"#,
            result: #"{"mergingList":[{"name":"3","value":"c"},{"name":"1","value":"a"},{"name":"2","value":"b","other":"x"}]}"#),
        Case(
            name: "preserve the order from the patch in a merging list 2",
            original: #"{"mergingList":[{"name":"1"},{"name":"2","value":"b"},{"name":"3"}]}"#,
            patch: #"{"mergingList":[{"name":"3","value":"c"},{"name":"1","value":"a"}]}"#,
            result: #"{"mergingList":[{"name":"2","value":"b"},{"name":"3","value":"c"},{"name":"1","value":"a"}]}"#),
        Case(
            name: "preserve the order from the patch in a merging int list", original: #"{"mergingIntList":[1,2,3]}"#,
            patch: #"{"mergingIntList":[3,1,2]}"#, result: #"{"mergingIntList":[3,1,2]}"#),
        Case(
            name: "preserve the order from the patch in a merging int list 2", original: #"{"mergingIntList":[1,2,3]}"#,
            patch: #"{"mergingIntList":[3,1]}"#, result: #"{"mergingIntList":[2,3,1]}"#),
    ]

    @Test(arguments: lists) func mergingLists(_ c: Case) throws { try Self.run(c) }

    // MARK: $patch in list elements

    static let listDirectives: [Case] = [
        Case(
            name: "delete map from merging list", original: #"{"mergingList":[{"name":"1"},{"name":"2"}]}"#,
            patch: #"{"mergingList":[{"name":"1","$patch":"delete"}]}"#, result: #"{"mergingList":[{"name":"2"}]}"#),
        Case(
            name: "delete missing map from merging list", original: #"{"mergingList":[{"name":"1"}]}"#,
            patch: #"{"mergingList":[{"name":"2","$patch":"delete"}]}"#, result: #"{"mergingList":[{"name":"1"}]}"#),
        Case(
            name: "add map and delete map from merging list", original: #"{"mergingList":[{"name":"1"}]}"#,
            patch: #"{"mergingList":[{"name":"2"},{"name":"1","$patch":"delete"}]}"#, result: #"{"mergingList":[{"name":"2"}]}"#),
        Case(
            name: "delete all duplicate entries in a merging list",
            original: #"{"mergingList":[{"name":"1"},{"name":"1"},{"name":"2","value":"a"},{"name":"3"},{"name":"3"}]}"#,
            patch: #"{"mergingList":[{"name":"1","$patch":"delete"},{"name":"3","$patch":"delete"}]}"#,
            result: #"{"mergingList":[{"name":"2","value":"a"}]}"#),
        Case(
            name: "delete all maps from an empty merging list", original: #"{"mergingList":[]}"#,
            patch: #"{"mergingList":[{"name":"1","$patch":"delete"},{"name":"2","$patch":"delete"}]}"#, result: #"{"mergingList":[]}"#),
        Case(
            name: "delete all items from merging list", original: #"{"mergingList":[{"name":"1"},{"name":"2"}]}"#,
            patch: #"{"mergingList":[{"$patch":"replace"}]}"#, result: #"{"mergingList":[]}"#),
        Case(
            name: "$patch replace element makes the other elements the list",
            original: #"{"mergingList":[{"name":"1","value":"a"},{"name":"2"}]}"#,
            patch: #"{"mergingList":[{"name":"3"},{"name":"1"},{"$patch":"replace"}]}"#,
            result: #"{"mergingList":[{"name":"3"},{"name":"1"}]}"#),
        Case(
            name: "$patch merge in a list is refused", original: #"{"mergingList":[]}"#,
            patch: #"{"mergingList":[{"$patch":"merge"}]}"#, error: "merging lists cannot yet be specified"),
        Case(
            name: "$patch delete without the merge key is refused", original: #"{"mergingList":[{"name":"1"}]}"#,
            patch: #"{"mergingList":[{"$patch":"delete"}]}"#, error: "does not contain declared merge key"),
        Case(
            name: "directives in an atomic list are dropped", original: #"{"nonMergingList":[{"name":"1"}]}"#,
            patch: #"{"nonMergingList":[{"name":"2","value":null},{"name":"3","$patch":"delete"}]}"#,
            result: #"{"nonMergingList":[{"name":"2"}]}"#),
    ]

    @Test(arguments: listDirectives) func patchDirectiveInLists(_ c: Case) throws { try Self.run(c) }

    // MARK: $setElementOrder

    static let setElementOrder: [Case] = [
        Case(
            name: "set elements order in a list",
            original: #"{"mergingList":[{"name":1,"other":"a"},{"name":3,"value":3},{"name":4,"value":4},{"name":2,"value":2}]}"#,
            patch: #"{"$setElementOrder/mergingList":[{"name":4},{"name":2},{"name":3},{"name":1}]}"#,
            result: #"{"mergingList":[{"name":4,"value":4},{"name":2,"value":2},{"name":3,"value":3},{"name":1,"other":"a"}]}"#),
        Case(
            name: "set elements order with server-only items",
            original: #"{"mergingList":[{"name":1,"other":"a"},{"name":3,"value":3},{"name":4,"value":4},{"name":2,"value":2},{"name":9}]}"#,
            patch: #"{"$setElementOrder/mergingList":[{"name":4},{"name":2},{"name":3},{"name":1}]}"#,
            result: #"{"mergingList":[{"name":4,"value":4},{"name":2,"value":2},{"name":3,"value":3},{"name":1,"other":"a"},{"name":9}]}"#),
        Case(
            name: "set elements order with server-only items 2",
            original: #"{"mergingList":[{"name":1,"other":"a"},{"name":2,"value":2},{"name":9},{"name":3,"value":3},{"name":4,"value":4}]}"#,
            patch: #"{"$setElementOrder/mergingList":[{"name":2},{"name":1},{"name":4},{"name":3}]}"#,
            result: #"{"mergingList":[{"name":2,"value":2},{"name":1,"other":"a"},{"name":9},{"name":4,"value":4},{"name":3,"value":3}]}"#),
        Case(
            name: "set elements order with server-only items 3",
            original: #"{"mergingList":[{"name":1,"other":"a"},{"name":2,"value":2},{"name":7},{"name":9},{"name":8},{"name":3,"value":3},{"name":4,"value":4}]}"#,
            patch: #"{"$setElementOrder/mergingList":[{"name":2},{"name":1},{"name":4},{"name":3}]}"#,
            result: #"{"mergingList":[{"name":2,"value":2},{"name":1,"other":"a"},{"name":7},{"name":9},{"name":8},{"name":4,"value":4},{"name":3,"value":3}]}"#),
        Case(
            name: "add an item in a list and preserve order",
            original: #"{"mergingList":[{"name":1},{"name":3,"value":3},{"name":2,"value":2}]}"#,
            patch: #"{"$setElementOrder/mergingList":[{"name":1},{"name":4},{"name":3},{"name":2}],"mergingList":[{"name":4,"value":4}]}"#,
            result: #"{"mergingList":[{"name":1},{"name":4,"value":4},{"name":3,"value":3},{"name":2,"value":2}]}"#),
        Case(
            name: "delete an item in a list and preserve order",
            original: #"{"mergingList":[{"name":1},{"name":3,"value":3},{"name":2,"value":2}]}"#,
            patch: #"{"$setElementOrder/mergingList":[{"name":2},{"name":1}],"mergingList":[{"name":3,"$patch":"delete"}]}"#,
            result: #"{"mergingList":[{"name":2,"value":2},{"name":1}]}"#),
        Case(
            name: "nested patch merge with empty list", original: #"{"name":"hi","mergingList":[{"name":"hello2"}]}"#,
            patch: #"{"$setElementOrder/mergingList":[{"name":"hello"},{"name":"doesntexist"}],"mergingList":[{"name":"hello"}]}"#,
            result: #"{"name":"hi","mergingList":[{"name":"hello"},{"name":"hello2"}]}"#),
        Case(
            name: "delete and reorder in one list, reorder in another",
            original: #"{"mergingList":[{"name":"a","value":"a"},{"name":"b","value":"b"}],"mergeItemPtr":[{"name":"c","value":"c"},{"name":"d","value":"d"}]}"#,
            patch: #"{"$setElementOrder/mergingList":[{"name":"b"}],"$setElementOrder/mergeItemPtr":[{"name":"d"},{"name":"c"}],"mergingList":[{"$patch":"delete","name":"a"}]}"#,
            result: #"{"mergingList":[{"name":"b","value":"b"}],"mergeItemPtr":[{"name":"d","value":"d"},{"name":"c","value":"c"}]}"#),
        Case(
            name: "set element order for a merging list with duplicates",
            original: #"{"mergingList":[{"name":1},{"name":2,"value":"dup1"},{"name":3},{"name":2,"value":"dup2"},{"name":4}]}"#,
            patch: #"{"$setElementOrder/mergingList":[{"name":2},{"name":1},{"name":4},{"name":3},{"name":2}]}"#,
            result: #"{"mergingList":[{"name":2,"value":"dup1"},{"name":2,"value":"dup2"},{"name":1},{"name":4},{"name":3}]}"#),
        Case(
            name: "$setElementOrder naming an item the list lacks", original: #"{"mergingList":[{"name":1},{"name":3}]}"#,
            patch: #"{"$setElementOrder/mergingList":[{"name":3},{"name":2},{"name":1}],"mergingList":[{"name":3,"value":3},{"name":1,"value":1}]}"#,
            result: #"{"mergingList":[{"name":3,"value":3},{"name":1,"value":1}]}"#),
        Case(
            name: "$setElementOrder naming an item the int list lacks", original: #"{"mergingIntList":[1,3]}"#,
            patch: #"{"$setElementOrder/mergingIntList":[3,2,1]}"#, result: #"{"mergingIntList":[3,1]}"#),
        Case(
            name: "add an item in an int list and preserve order", original: #"{"mergingIntList":[1,3,2]}"#,
            patch: #"{"$setElementOrder/mergingIntList":[1,4,3,2],"mergingIntList":[4]}"#, result: #"{"mergingIntList":[1,4,3,2]}"#),
        Case(
            name: "set elements order in an int list with server-only items", original: #"{"mergingIntList":[1,3,4,2,9]}"#,
            patch: #"{"$setElementOrder/mergingIntList":[4,2,3,1]}"#, result: #"{"mergingIntList":[4,2,3,1,9]}"#),
        Case(
            name: "patch order contradicting $setElementOrder is refused", original: #"{"mergingList":[{"name":1},{"name":3},{"name":2}]}"#,
            patch: #"{"$setElementOrder/mergingList":[{"name":1},{"name":2},{"name":3}],"mergingList":[{"name":3,"value":3},{"name":1,"value":1}]}"#,
            error: "doesn't match"),
        Case(
            name: "int patch order contradicting $setElementOrder is refused", original: #"{"mergingIntList":[1,3,2]}"#,
            patch: #"{"$setElementOrder/mergingIntList":[1,2,3],"mergingIntList":[3,1]}"#, error: "doesn't match"),
        Case(
            name: "$setElementOrder without a field is refused", original: "{}", patch: #"{"$setElementOrder":[1]}"#,
            error: "invalid patch format of setElementOrder list"),
    ]

    @Test(arguments: setElementOrder) func setElementOrderDirective(_ c: Case) throws { try Self.run(c) }

    // MARK: $deleteFromPrimitiveList

    static let deleteFromPrimitiveList: [Case] = [
        Case(
            name: "delete items in lists of scalars", original: #"{"mergingIntList":[1,2,3,4]}"#,
            patch: #"{"$setElementOrder/mergingIntList":[1,2],"$deleteFromPrimitiveList/mergingIntList":[3]}"#,
            result: #"{"mergingIntList":[1,2,4]}"#),
        Case(
            name: "delete all duplicate items in lists of scalars", original: #"{"mergingIntList":[1,2,3,3,4]}"#,
            patch: #"{"$setElementOrder/mergingIntList":[1,2],"$deleteFromPrimitiveList/mergingIntList":[3]}"#,
            result: #"{"mergingIntList":[1,2,4]}"#),
        Case(
            name: "add and delete items in lists of scalars", original: #"{"mergingIntList":[1,2,3]}"#,
            patch: #"{"$setElementOrder/mergingIntList":[1,2,4],"$deleteFromPrimitiveList/mergingIntList":[3],"mergingIntList":[4]}"#,
            result: #"{"mergingIntList":[1,2,4]}"#),
        Case(
            name: "deleting a missing item adds nothing", original: #"{"mergingIntList":[1,2]}"#,
            patch: #"{"$deleteFromPrimitiveList/mergingIntList":[3]}"#, result: #"{"mergingIntList":[1,2]}"#),
        Case(
            name: "deleting from a null list changes nothing", original: #"{"mergingIntList":null}"#,
            patch: #"{"$deleteFromPrimitiveList/mergingIntList":[3]}"#, result: #"{"mergingIntList":null}"#),
        Case(
            name: "deleting from a missing list adds no list", original: #"{"foo":["bar"]}"#,
            patch: #"{"$deleteFromPrimitiveList/mergingIntList":[3]}"#, result: #"{"foo":["bar"]}"#),
        Case(
            name: "delete from a list with merge patch strategy", original: #"{"mergingIntList":[1,2,3]}"#,
            patch: #"{"$deleteFromPrimitiveList/mergingIntList":[2]}"#, result: #"{"mergingIntList":[1,3]}"#),
        Case(
            name: "delete from a list without merge patch strategy", original: #"{"nonMergingIntList":[1,2,3]}"#,
            patch: #"{"$deleteFromPrimitiveList/nonMergingIntList":[2]}"#, result: #"{"nonMergingIntList":[1,3]}"#),
        Case(
            name: "a deletion list without a field is refused", original: "{}", patch: #"{"$deleteFromPrimitiveList":[1]}"#,
            error: "invalid patch format of primitive list"),
    ]

    @Test(arguments: deleteFromPrimitiveList) func deleteFromPrimitiveListDirective(_ c: Case) throws { try Self.run(c) }

    // MARK: $retainKeys

    static let retainKeys: [Case] = [
        Case(
            name: "retainKeys map can add a field when no directive is present", original: #"{"retainKeysMap":{"name":"foo"}}"#,
            patch: #"{"retainKeysMap":{"value":"bar"}}"#, result: #"{"retainKeysMap":{"name":"foo","value":"bar"}}"#),
        Case(
            name: "retainKeys map merges an empty map", original: #"{"retainKeysMap":{"name":"foo","value":"a"}}"#,
            patch: #"{"retainKeysMap":{}}"#, result: #"{"retainKeysMap":{"name":"foo","value":"a"}}"#),
        Case(
            name: "retainKeys map clears a defaulted field", original: #"{"retainKeysMap":{"value":"foo"}}"#,
            patch: #"{"retainKeysMap":{"$retainKeys":["other"],"other":"bar"}}"#, result: #"{"retainKeysMap":{"other":"bar"}}"#),
        Case(
            name: "retainKeys map switches a discriminated union", original: #"{"retainKeysMap":{"name":"type1","value":"foo"}}"#,
            patch: #"{"retainKeysMap":{"$retainKeys":["name","other"],"name":"type2","other":"bar"}}"#,
            result: #"{"retainKeysMap":{"name":"type2","other":"bar"}}"#),
        Case(
            name: "retainKeys map adds a field and clears a field", original: #"{"retainKeysMap":{"name":"foo","other":"a"}}"#,
            patch: #"{"retainKeysMap":{"$retainKeys":["name","value"],"value":"bar"}}"#,
            result: #"{"retainKeysMap":{"name":"foo","value":"bar"}}"#),
        Case(
            name: "retainKeys map deletes a field and clears a field", original: #"{"retainKeysMap":{"name":"foo","value":"bar","other":"a"}}"#,
            patch: #"{"retainKeysMap":{"$retainKeys":["name"],"value":null}}"#, result: #"{"retainKeysMap":{"name":"foo"}}"#),
        Case(
            name: "retainKeys map with a nested merging list",
            original: #"{"retainKeysMap":{"name":"foo","mergingList":[{"name":"a"},{"name":"b"}],"other":"x"}}"#,
            patch: #"{"retainKeysMap":{"$retainKeys":["mergingList","name"],"$setElementOrder/mergingList":[{"name":"b"},{"name":"c"}],"mergingList":[{"name":"c"},{"name":"a","$patch":"delete"}]}}"#,
            result: #"{"retainKeysMap":{"name":"foo","mergingList":[{"name":"b"},{"name":"c"}]}}"#),
        Case(
            name: "retainKeys map adds an item to a nested int list",
            original: #"{"retainKeysMap":{"name":"foo","mergingIntList":[1,2]}}"#,
            patch: #"{"retainKeysMap":{"$retainKeys":["mergingIntList","name"],"$setElementOrder/mergingIntList":[1,2,3],"mergingIntList":[3]}}"#,
            result: #"{"retainKeysMap":{"name":"foo","mergingIntList":[1,2,3]}}"#),
        Case(
            name: "retainKeys list of maps clears a field",
            original: #"{"retainKeysMergingList":[{"name":"bar"},{"name":"foo","value":"a","other":"x"}]}"#,
            patch: #"{"$setElementOrder/retainKeysMergingList":[{"name":"bar"},{"name":"foo"}],"retainKeysMergingList":[{"$retainKeys":["name","value"],"name":"foo"}]}"#,
            result: #"{"retainKeysMergingList":[{"name":"bar"},{"name":"foo","value":"a"}]}"#),
        Case(
            name: "retainKeys list of maps changes a field and clears a field",
            original: #"{"retainKeysMergingList":[{"name":"bar"},{"name":"foo","value":"a","other":"x"}]}"#,
            patch: #"{"retainKeysMergingList":[{"$retainKeys":["name","value"],"name":"foo","value":"b"}]}"#,
            result: #"{"retainKeysMergingList":[{"name":"bar"},{"name":"foo","value":"b"}]}"#),
        Case(
            name: "a key the patch sets must be retained", original: #"{"retainKeysMap":{"name":"foo"}}"#,
            patch: #"{"retainKeysMap":{"$retainKeys":["name"],"value":"bar"}}"#, error: "invalid patch format of retainKeys"),
        Case(
            name: "$retainKeys must be a list", original: #"{"retainKeysMap":{"name":"foo"}}"#,
            patch: #"{"retainKeysMap":{"$retainKeys":"name"}}"#, error: "invalid patch format of retainKeys"),
    ]

    @Test(arguments: retainKeys) func retainKeysDirective(_ c: Case) throws { try Self.run(c) }
}

// MARK: - Kubernetes kinds

extension StrategicMergePatchTests {
    static let deployment = #"""
        {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"default",
          "finalizers":["a"],"ownerReferences":[{"uid":"u1","name":"o1"}]},
         "spec":{"replicas":2,"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}},
          "template":{"metadata":{"labels":{"app":"web"}},
           "spec":{"containers":[
             {"name":"web","image":"v1","ports":[{"containerPort":8080,"name":"http"}],
              "env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"volumeMounts":[{"name":"data","mountPath":"/data"}],
              "args":["x","y"]},
             {"name":"side","image":"s1"}],
            "volumes":[{"name":"data","emptyDir":{}}],
            "tolerations":[{"key":"k1","operator":"Exists"}]}}},
         "status":{"conditions":[{"type":"Available","status":"True"},{"type":"Progressing","status":"True"}]}}
        """#

    static func deploymentCase(_ name: String, _ patch: String, _ check: @escaping @Sendable (JSONValue) -> Bool) -> KindCase {
        KindCase(name: name, kind: "Deployment", original: deployment, patch: patch, check: check)
    }

    struct KindCase: CustomTestStringConvertible, Sendable {
        var name: String
        var kind: String
        var original: String
        var patch: String
        var check: @Sendable (JSONValue) -> Bool
        var testDescription: String { name }
    }

    static func containers(_ o: JSONValue) -> [JSONValue] { o.value(atPath: "spec.template.spec.containers")?.arrayValue ?? [] }
    static func web(_ o: JSONValue) -> JSONValue { containers(o).first { $0["name"] == "web" } ?? .null }

    static let kinds: [KindCase] = [
        deploymentCase(
            "kubectl set env: env merges by name inside containers merged by name",
            #"{"spec":{"template":{"spec":{"containers":[{"name":"web","env":[{"name":"B","value":"3"},{"name":"C","value":"4"}]}]}}}}"#
        ) { o in
            web(o)["env"] == [["name": "A", "value": "1"], ["name": "B", "value": "3"], ["name": "C", "value": "4"]]
                && web(o)["image"] == "v1" && containers(o).count == 2
        },
        deploymentCase(
            "kubectl apply removing an env entry and changing a port",
            #"""
            {"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"web"},{"name":"side"}],
              "containers":[{"name":"web","$setElementOrder/env":[{"name":"A"}],"env":[{"name":"B","$patch":"delete"}],
                "$setElementOrder/ports":[{"containerPort":9090}],
                "ports":[{"containerPort":9090,"name":"http"},{"containerPort":8080,"$patch":"delete"}]}]}}}}
            """#
        ) { o in
            web(o)["env"] == [["name": "A", "value": "1"]] && web(o)["ports"] == [["containerPort": 9090, "name": "http"]]
                && containers(o).map { $0["name"] } == ["web", "side"]
        },
        deploymentCase(
            "a container is deleted by name, the other kept",
            #"{"spec":{"template":{"spec":{"containers":[{"name":"side","$patch":"delete"}]}}}}"#
        ) { o in containers(o).map { $0["name"] } == ["web"] },
        deploymentCase(
            "volumeMounts merge by mountPath",
            #"{"spec":{"template":{"spec":{"containers":[{"name":"web","volumeMounts":[{"name":"logs","mountPath":"/logs"},{"name":"data2","mountPath":"/data"}]}]}}}}"#
        ) { o in
            web(o)["volumeMounts"] == [["name": "logs", "mountPath": "/logs"], ["name": "data2", "mountPath": "/data"]]
        },
        deploymentCase(
            "a volume switches source with $retainKeys",
            #"{"spec":{"template":{"spec":{"volumes":[{"$retainKeys":["configMap","name"],"name":"data","configMap":{"name":"c"}}]}}}}"#
        ) { o in o.value(atPath: "spec.template.spec.volumes") == [["name": "data", "configMap": ["name": "c"]]] },
        deploymentCase(
            "rollout restart annotates the template",
            #"{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"2025-01-01T00:00:00Z"}}}}}"#
        ) { o in
            o.value(atPath: "spec.template.metadata.annotations")?["kubectl.kubernetes.io/restartedAt"] == "2025-01-01T00:00:00Z"
                && o.value(atPath: "spec.template.metadata.labels") == ["app": "web"]
        },
        deploymentCase(
            "tolerations and args are atomic",
            #"{"spec":{"template":{"spec":{"tolerations":[{"key":"k2","operator":"Exists"}],"containers":[{"name":"web","args":["z"]}]}}}}"#
        ) { o in
            o.value(atPath: "spec.template.spec.tolerations") == [["key": "k2", "operator": "Exists"]] && web(o)["args"] == ["z"]
        },
        deploymentCase(
            "strategy Recreate clears rollingUpdate with $retainKeys",
            #"{"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate","rollingUpdate":null}}}"#
        ) { o in o.value(atPath: "spec.strategy") == ["type": "Recreate"] },
        deploymentCase(
            "finalizers merge as a set; ownerReferences by uid",
            #"{"metadata":{"finalizers":["b","a"],"ownerReferences":[{"uid":"u2","name":"o2"},{"uid":"u1","name":"renamed"}]}}"#
        ) { o in
            o.value(atPath: "metadata.finalizers") == ["b", "a"]
                && o.value(atPath: "metadata.ownerReferences") == [["uid": "u2", "name": "o2"], ["uid": "u1", "name": "renamed"]]
        },
        deploymentCase(
            "finalizers leave with $deleteFromPrimitiveList",
            #"{"metadata":{"$deleteFromPrimitiveList/finalizers":["a"]}}"#
        ) { o in o.value(atPath: "metadata.finalizers") == [] },
        deploymentCase(
            "conditions merge by type",
            #"{"status":{"conditions":[{"type":"Available","status":"False"}]}}"#
        ) { o in
            o.value(atPath: "status.conditions") == [["type": "Available", "status": "False"], ["type": "Progressing", "status": "True"]]
        },
        KindCase(
            name: "Service ports merge by port", kind: "Service",
            original: #"{"spec":{"ports":[{"port":80,"name":"http"},{"port":443,"name":"https"}]}}"#,
            patch: #"{"spec":{"ports":[{"port":80,"targetPort":8080}]}}"#
        ) { o in o.value(atPath: "spec.ports") == [["port": 80, "name": "http", "targetPort": 8080], ["port": 443, "name": "https"]] },
        KindCase(
            name: "Node taints are atomic, as Kubernetes declares them", kind: "Node",
            original: #"{"spec":{"taints":[{"key":"a","effect":"NoSchedule"}],"unschedulable":true}}"#,
            patch: #"{"spec":{"taints":[{"key":"b","effect":"NoSchedule"}],"unschedulable":null}}"#
        ) { o in o.value(atPath: "spec") == ["taints": [["key": "b", "effect": "NoSchedule"]]] },
        KindCase(
            name: "Ingress rules are atomic", kind: "Ingress",
            original: #"{"spec":{"rules":[{"host":"a"},{"host":"b"}]}}"#,
            patch: #"{"spec":{"rules":[{"host":"c"}]}}"#
        ) { o in o.value(atPath: "spec.rules") == [["host": "c"]] },
        KindCase(
            name: "Pod initContainers, imagePullSecrets and topologySpreadConstraints merge", kind: "Pod",
            original: #"{"spec":{"initContainers":[{"name":"i","image":"1"}],"imagePullSecrets":[{"name":"r1"}],"topologySpreadConstraints":[{"topologyKey":"zone","maxSkew":1}]}}"#,
            patch: #"{"spec":{"initContainers":[{"name":"i","image":"2"}],"imagePullSecrets":[{"name":"r2"}],"topologySpreadConstraints":[{"topologyKey":"zone","maxSkew":2}]}}"#
        ) { o in
            o.value(atPath: "spec") == [
                "initContainers": [["name": "i", "image": "2"]], "imagePullSecrets": [["name": "r2"], ["name": "r1"]],
                "topologySpreadConstraints": [["topologyKey": "zone", "maxSkew": 2]],
            ]
        },
        KindCase(
            name: "ConfigMap data merges key by key", kind: "ConfigMap",
            original: #"{"data":{"a":"1","b":"2"}}"#, patch: #"{"data":{"b":null,"c":"3"}}"#
        ) { o in o["data"] == ["a": "1", "c": "3"] },
    ]

    @Test(arguments: kinds) func kubernetesKinds(_ c: KindCase) throws {
        let result = try StrategicMergePatch.apply(
            try JSONValue.parse(c.patch), to: try JSONValue.parse(c.original), meta: .of(kind: c.kind))
        #expect(c.check(result), "\(c.name): got \(result.serializedString())")
    }
}
