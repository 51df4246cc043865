//! The subset of ONNX's protobuf messages the importer reads, derived by hand with `prost`.
//!
//! Field numbers, labels and types are those of `onnx/onnx.proto` (proto2, package `onnx`) of
//! onnx 1.23.2 (IR version 14, `IR_VERSION = 0x0E`); the file ships in the onnx Python package
//! (`onnx/onnx.proto`). Only the fields the importer uses are declared: prost skips every
//! other field on decoding (training info, functions, sparse tensors, sub-graphs of
//! attributes, metadata, ...), and a oneof member not declared here (a sequence or map type)
//! decodes as `None`. Repeated scalars are packed or not as the `.proto` file declares them
//! (prost accepts both encodings when decoding either way).

/// `ModelProto`: the top-level message of an `.onnx` file.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ModelProto {
    /// `ir_version = 1`: the IR version the model was written with.
    #[prost(int64, optional, tag = "1")]
    pub ir_version: Option<i64>,
    /// `opset_import = 8`: the operator sets (domain and version) the graph uses.
    #[prost(message, repeated, tag = "8")]
    pub opset_import: Vec<OperatorSetIdProto>,
    /// `producer_name = 2`: the tool that wrote the model.
    #[prost(string, optional, tag = "2")]
    pub producer_name: Option<String>,
    /// `producer_version = 3`: its version.
    #[prost(string, optional, tag = "3")]
    pub producer_version: Option<String>,
    /// `domain = 4`: the model's namespace.
    #[prost(string, optional, tag = "4")]
    pub domain: Option<String>,
    /// `model_version = 5`.
    #[prost(int64, optional, tag = "5")]
    pub model_version: Option<i64>,
    /// `doc_string = 6`.
    #[prost(string, optional, tag = "6")]
    pub doc_string: Option<String>,
    /// `graph = 7`: the computation.
    #[prost(message, optional, tag = "7")]
    pub graph: Option<GraphProto>,
}

/// `OperatorSetIdProto`: one operator set a model imports.
#[derive(Clone, PartialEq, prost::Message)]
pub struct OperatorSetIdProto {
    /// `domain = 1`: empty (or `ai.onnx`) for the default operator set.
    #[prost(string, optional, tag = "1")]
    pub domain: Option<String>,
    /// `version = 2`.
    #[prost(int64, optional, tag = "2")]
    pub version: Option<i64>,
}

/// `GraphProto`: nodes in topological order, constant initializers, inputs and outputs.
#[derive(Clone, PartialEq, prost::Message)]
pub struct GraphProto {
    /// `node = 1`.
    #[prost(message, repeated, tag = "1")]
    pub node: Vec<NodeProto>,
    /// `name = 2`.
    #[prost(string, optional, tag = "2")]
    pub name: Option<String>,
    /// `initializer = 5`: named constant tensors.
    #[prost(message, repeated, tag = "5")]
    pub initializer: Vec<TensorProto>,
    /// `doc_string = 10`.
    #[prost(string, optional, tag = "10")]
    pub doc_string: Option<String>,
    /// `input = 11`: the graph inputs (before IR version 4 they include the initializers).
    #[prost(message, repeated, tag = "11")]
    pub input: Vec<ValueInfoProto>,
    /// `output = 12`.
    #[prost(message, repeated, tag = "12")]
    pub output: Vec<ValueInfoProto>,
    /// `value_info = 13`: types and shapes of intermediate values.
    #[prost(message, repeated, tag = "13")]
    pub value_info: Vec<ValueInfoProto>,
}

/// `NodeProto`: one operator call.
#[derive(Clone, PartialEq, prost::Message)]
pub struct NodeProto {
    /// `input = 1`: value names; an empty name is an absent optional input.
    #[prost(string, repeated, tag = "1")]
    pub input: Vec<String>,
    /// `output = 2`.
    #[prost(string, repeated, tag = "2")]
    pub output: Vec<String>,
    /// `name = 3`.
    #[prost(string, optional, tag = "3")]
    pub name: Option<String>,
    /// `op_type = 4`.
    #[prost(string, optional, tag = "4")]
    pub op_type: Option<String>,
    /// `domain = 7`: empty for the default operator set.
    #[prost(string, optional, tag = "7")]
    pub domain: Option<String>,
    /// `attribute = 5`.
    #[prost(message, repeated, tag = "5")]
    pub attribute: Vec<AttributeProto>,
    /// `doc_string = 6`.
    #[prost(string, optional, tag = "6")]
    pub doc_string: Option<String>,
}

/// `AttributeProto.AttributeType`: which value field of an attribute is in use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum AttributeType {
    /// Not set (models before IR version 0.0.2).
    Undefined = 0,
    /// `f`.
    Float = 1,
    /// `i`.
    Int = 2,
    /// `s`.
    String = 3,
    /// `t`.
    Tensor = 4,
    /// `g` (not decoded here).
    Graph = 5,
    /// `sparse_tensor` (not decoded here).
    SparseTensor = 11,
    /// `tp` (not decoded here).
    TypeProto = 13,
    /// `floats`.
    Floats = 6,
    /// `ints`.
    Ints = 7,
    /// `strings`.
    Strings = 8,
    /// `tensors` (not decoded here).
    Tensors = 9,
    /// `graphs` (not decoded here).
    Graphs = 10,
    /// `sparse_tensors` (not decoded here).
    SparseTensors = 12,
    /// `type_protos` (not decoded here).
    TypeProtos = 14,
}

impl AttributeType {
    /// The name `onnx.proto` gives the kind (`INT`, `FLOATS`, `GRAPH`).
    pub fn name(self) -> &'static str {
        match self {
            AttributeType::Undefined => "UNDEFINED",
            AttributeType::Float => "FLOAT",
            AttributeType::Int => "INT",
            AttributeType::String => "STRING",
            AttributeType::Tensor => "TENSOR",
            AttributeType::Graph => "GRAPH",
            AttributeType::SparseTensor => "SPARSE_TENSOR",
            AttributeType::TypeProto => "TYPE_PROTO",
            AttributeType::Floats => "FLOATS",
            AttributeType::Ints => "INTS",
            AttributeType::Strings => "STRINGS",
            AttributeType::Tensors => "TENSORS",
            AttributeType::Graphs => "GRAPHS",
            AttributeType::SparseTensors => "SPARSE_TENSORS",
            AttributeType::TypeProtos => "TYPE_PROTOS",
        }
    }
}

/// `AttributeProto`: one named attribute of a node.
#[derive(Clone, PartialEq, prost::Message)]
pub struct AttributeProto {
    /// `name = 1`.
    #[prost(string, optional, tag = "1")]
    pub name: Option<String>,
    /// `ref_attr_name = 21`: set only inside functions.
    #[prost(string, optional, tag = "21")]
    pub ref_attr_name: Option<String>,
    /// `doc_string = 13`.
    #[prost(string, optional, tag = "13")]
    pub doc_string: Option<String>,
    /// `type = 20`: an [`AttributeType`].
    #[prost(enumeration = "AttributeType", optional, tag = "20")]
    pub r#type: Option<i32>,
    /// `f = 2`.
    #[prost(float, optional, tag = "2")]
    pub f: Option<f32>,
    /// `i = 3`.
    #[prost(int64, optional, tag = "3")]
    pub i: Option<i64>,
    /// `s = 4`: UTF-8 bytes.
    #[prost(bytes = "vec", optional, tag = "4")]
    pub s: Option<Vec<u8>>,
    /// `t = 5`.
    #[prost(message, optional, tag = "5")]
    pub t: Option<TensorProto>,
    /// `floats = 7`.
    #[prost(float, repeated, packed = "false", tag = "7")]
    pub floats: Vec<f32>,
    /// `ints = 8`.
    #[prost(int64, repeated, packed = "false", tag = "8")]
    pub ints: Vec<i64>,
    /// `strings = 9`: UTF-8 bytes each.
    #[prost(bytes = "vec", repeated, tag = "9")]
    pub strings: Vec<Vec<u8>>,
}

/// `TensorProto.DataType` numbers (`data_type`, `elem_type`), those the importer names.
pub mod data_type {
    /// Not set.
    pub const UNDEFINED: i32 = 0;
    /// `float`.
    pub const FLOAT: i32 = 1;
    /// `uint8_t`.
    pub const UINT8: i32 = 2;
    /// `int8_t`.
    pub const INT8: i32 = 3;
    /// `uint16_t`.
    pub const UINT16: i32 = 4;
    /// `int16_t`.
    pub const INT16: i32 = 5;
    /// `int32_t`.
    pub const INT32: i32 = 6;
    /// `int64_t`.
    pub const INT64: i32 = 7;
    /// Strings.
    pub const STRING: i32 = 8;
    /// `bool`, one byte each in `raw_data`.
    pub const BOOL: i32 = 9;
    /// IEEE 754 half precision.
    pub const FLOAT16: i32 = 10;
    /// `double`.
    pub const DOUBLE: i32 = 11;
    /// `uint32_t`.
    pub const UINT32: i32 = 12;
    /// `uint64_t`.
    pub const UINT64: i32 = 13;
    /// Complex of two floats.
    pub const COMPLEX64: i32 = 14;
    /// Complex of two doubles.
    pub const COMPLEX128: i32 = 15;
    /// The upper half of a float.
    pub const BFLOAT16: i32 = 16;
    /// Unsigned 4-bit, two a byte, the first in the low bits.
    pub const UINT4: i32 = 21;
    /// Signed 4-bit (two's complement), two a byte, the first in the low bits.
    pub const INT4: i32 = 22;
    /// Unsigned 2-bit, four a byte, the first in the low bits.
    pub const UINT2: i32 = 25;
    /// Signed 2-bit (two's complement), four a byte, the first in the low bits.
    pub const INT2: i32 = 26;
}

/// `TensorProto.DataLocation`: where a tensor's data is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum DataLocation {
    /// In the message: `raw_data` if set, else the typed field.
    Default = 0,
    /// In another file, as `external_data` describes.
    External = 1,
}

/// `StringStringEntryProto`: a key-value pair.
#[derive(Clone, PartialEq, prost::Message)]
pub struct StringStringEntryProto {
    /// `key = 1`.
    #[prost(string, optional, tag = "1")]
    pub key: Option<String>,
    /// `value = 2`.
    #[prost(string, optional, tag = "2")]
    pub value: Option<String>,
}

/// `TensorProto`: a constant tensor (an initializer or an attribute value).
#[derive(Clone, PartialEq, prost::Message)]
pub struct TensorProto {
    /// `dims = 1`: the shape, outermost first.
    #[prost(int64, repeated, packed = "false", tag = "1")]
    pub dims: Vec<i64>,
    /// `data_type = 2`: a [`data_type`] number.
    #[prost(int32, optional, tag = "2")]
    pub data_type: Option<i32>,
    /// `float_data = 4` (packed): FLOAT (and COMPLEX64) elements.
    #[prost(float, repeated, packed = "true", tag = "4")]
    pub float_data: Vec<f32>,
    /// `int32_data = 5` (packed): INT32, INT16, INT8, UINT16, UINT8, BOOL, the bits of
    /// FLOAT16 and BFLOAT16, and packed 4- and 2-bit elements.
    #[prost(int32, repeated, packed = "true", tag = "5")]
    pub int32_data: Vec<i32>,
    /// `string_data = 6`: STRING elements.
    #[prost(bytes = "vec", repeated, tag = "6")]
    pub string_data: Vec<Vec<u8>>,
    /// `int64_data = 7` (packed): INT64 elements.
    #[prost(int64, repeated, packed = "true", tag = "7")]
    pub int64_data: Vec<i64>,
    /// `name = 8`.
    #[prost(string, optional, tag = "8")]
    pub name: Option<String>,
    /// `doc_string = 12`.
    #[prost(string, optional, tag = "12")]
    pub doc_string: Option<String>,
    /// `raw_data = 9`: every element, fixed width, little-endian.
    #[prost(bytes = "vec", optional, tag = "9")]
    pub raw_data: Option<Vec<u8>>,
    /// `external_data = 13`: where external data is (`location`, `offset`, `length`).
    #[prost(message, repeated, tag = "13")]
    pub external_data: Vec<StringStringEntryProto>,
    /// `data_location = 14`: a [`DataLocation`].
    #[prost(enumeration = "DataLocation", optional, tag = "14")]
    pub data_location: Option<i32>,
    /// `double_data = 10` (packed): DOUBLE (and COMPLEX128) elements.
    #[prost(double, repeated, packed = "true", tag = "10")]
    pub double_data: Vec<f64>,
    /// `uint64_data = 11` (packed): UINT32 and UINT64 elements.
    #[prost(uint64, repeated, packed = "true", tag = "11")]
    pub uint64_data: Vec<u64>,
}

/// `ValueInfoProto`: a value's name and type.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ValueInfoProto {
    /// `name = 1`.
    #[prost(string, optional, tag = "1")]
    pub name: Option<String>,
    /// `type = 2`.
    #[prost(message, optional, tag = "2")]
    pub r#type: Option<TypeProto>,
    /// `doc_string = 3`.
    #[prost(string, optional, tag = "3")]
    pub doc_string: Option<String>,
}

/// `TypeProto`: a value's type; only tensor types are declared.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TypeProto {
    /// `oneof value`: `tensor_type = 1` (sequence, map, optional, sparse and opaque types
    /// are skipped and leave it `None`).
    #[prost(oneof = "type_proto::Value", tags = "1")]
    pub value: Option<type_proto::Value>,
    /// `denotation = 6`.
    #[prost(string, optional, tag = "6")]
    pub denotation: Option<String>,
}

/// The nested messages of `TypeProto`.
pub mod type_proto {
    /// `TypeProto.Tensor`: a tensor's element type and shape.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Tensor {
        /// `elem_type = 1`: a [`super::data_type`] number.
        #[prost(int32, optional, tag = "1")]
        pub elem_type: Option<i32>,
        /// `shape = 2`: absent when the rank is unknown.
        #[prost(message, optional, tag = "2")]
        pub shape: Option<super::TensorShapeProto>,
    }

    /// `TypeProto.value`.
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Value {
        /// `tensor_type = 1`.
        #[prost(message, tag = "1")]
        TensorType(Tensor),
    }
}

/// `TensorShapeProto`: a shape, outermost dimension first.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TensorShapeProto {
    /// `dim = 1`.
    #[prost(message, repeated, tag = "1")]
    pub dim: Vec<tensor_shape_proto::Dimension>,
}

/// The nested messages of `TensorShapeProto`.
pub mod tensor_shape_proto {
    /// `TensorShapeProto.Dimension`: a fixed size, a symbol, or nothing (unknown).
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Dimension {
        /// `oneof value`: `dim_value = 1` or `dim_param = 2`.
        #[prost(oneof = "dimension::Value", tags = "1, 2")]
        pub value: Option<dimension::Value>,
        /// `denotation = 3`.
        #[prost(string, optional, tag = "3")]
        pub denotation: Option<String>,
    }

    /// The oneof of `Dimension`.
    pub mod dimension {
        /// `Dimension.value`.
        #[derive(Clone, PartialEq, prost::Oneof)]
        pub enum Value {
            /// `dim_value = 1`: a fixed size.
            #[prost(int64, tag = "1")]
            DimValue(i64),
            /// `dim_param = 2`: a symbolic size (`N`, `batch`).
            #[prost(string, tag = "2")]
            DimParam(String),
        }
    }
}
