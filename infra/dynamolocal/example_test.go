package dynamolocal_test

import (
	"context"
	"fmt"
	"log"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/lambda-connect/lambda-connect/infra/dynamolocal"
)

// Start an emulator (fetching it on first use), talk to it, stop it.
func ExampleStart() {
	ctx := context.Background()
	inst, err := dynamolocal.Start(ctx, dynamolocal.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer inst.Close()
	client, err := dynamolocal.Client(ctx, inst.Endpoint())
	if err != nil {
		log.Fatal(err)
	}
	out, err := client.ListTables(ctx, &dynamodb.ListTablesInput{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(out.TableNames), "tables")
}
