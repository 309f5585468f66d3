package protobufconv_test

import (
	"fmt"
	"strings"

	"github.com/lambda-connect/lambda-connect/converters/protobufconv"
	"github.com/lambda-connect/lambda-connect/core/errclass"
	"github.com/lambda-connect/lambda-connect/core/record"
)

func ExampleConverter() {
	reg := newMemRegistry() // any Registry: schemaregistry's client in production
	c, err := protobufconv.New(protobufconv.DefaultConfig(), reg)
	if err != nil {
		panic(err)
	}
	schema := &record.Schema{Type: record.Struct, Name: "com.example.User", Fields: []record.Field{
		{Name: "id", Index: 0, Schema: record.Int32Schema},
		{Name: "name", Index: 1, Schema: record.OptionalString},
	}}
	framed, err := c.FromConnect("users", nil, schema, &record.StructValue{Schema: schema, Values: []any{int32(7), "Ada"}})
	if err != nil {
		panic(err)
	}
	fmt.Printf("% x\n", framed)
	fmt.Print(reg.ByID[1].Schema)

	got, value, err := c.ToConnect("users", nil, framed)
	if err != nil {
		panic(err)
	}
	name, _ := value.(*record.StructValue).Get("name")
	fmt.Println(got.Name, got.Fields[0].Schema.Parameters[protobufconv.TagParameter], name)

	_, _, err = c.ToConnect("users", nil, []byte{0, 0, 0, 0, 1, 0, 0x08})
	// (The text of protobuf's own errors varies on purpose: print only ours.)
	fmt.Println(errclass.Of(err), strings.SplitN(err.Error(), ": proto", 2)[0])
	// Output:
	// 00 00 00 00 01 00 08 07 12 03 41 64 61
	// syntax = "proto3";
	// package com.example;
	//
	// message User {
	//   int32 id = 1;
	//   string name = 2;
	// }
	// User 1 Ada
	// bad_record users: schema id 1: message com.example.User
}
